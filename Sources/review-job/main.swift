import ReviewRuntime

await FunctionRunner.main(name: "review-job", knownFlags: [ReviewJobHandler.drainFlag]) { env in
    try ReviewJobHandler(config: try ReviewJobConfig.load(env))
}
