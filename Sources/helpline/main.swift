// The `helpline` command. Everything it does lives in HelplineCLI (commands), HelplineServer
// (`helpline serve`) and HelplineRouting; this file only wires them together.
import HelplineCLI
import HelplineRouting
import HelplineServer
import Logging

Main.main(serve: { request in
    // Secrets are checked before anything else: a server without its token must not start.
    guard let apiToken = try ServerConfiguration.secret("HELPLINE_API_TOKEN") else { throw ServerError.noAPIToken }
    var configuration = ServerConfiguration(apiToken: apiToken)
    configuration.twilioAuthToken = try ServerConfiguration.secret("HELPLINE_TWILIO_AUTH_TOKEN")
    (configuration.host, configuration.port) = try ServerConfiguration.listenAddress(request.listen)
    configuration.publicURL = request.publicURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
    configuration.maxInflight = request.maxInflight
    configuration.drainTimeout = request.drainTimeout
    // The process's one logging backend: one line per request on standard error.
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = .info
        return handler
    }
    let logger = Logger(label: "helpline-serve")
    var options = request.options
    options.logger = logger
    let helpline = try Helpline(path: request.databasePath, options: options)
    return try HelplineHTTPServer.run(helpline: helpline, configuration: configuration, logger: logger)
})
