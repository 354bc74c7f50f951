import ReviewRuntime

await FunctionRunner.main(name: "webhook-ingest", knownFlags: [WebhookIngestHandler.skipSignatureFlag]) { env in
    WebhookIngestHandler(config: try IngestConfig.load(env))
}
