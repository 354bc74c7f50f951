import ReviewRuntime

await FunctionRunner.main(name: "review-job", knownFlags: [ReviewJobHandler.drainFlag]) { env in
    let config = try ReviewJobConfig.load(env)
    let transport = URLSessionTransport()
    return ReviewJobHandler(config: config, processor: JobRecorder(recordURL: config.recordURL, transport: transport), transport: transport)
}
