import FletcherCore
import FletcherPlatform
import FletcherSimulators
import Foundation

extension Compute {
    static let cams = Compute(rawValue: "cams")!
}

/// C-AMS as a plugin: a job-submission REST API whose contract Fletcher defines, signed
/// callbacks (Standard Webhooks), polling as the safety net. Its own variables:
/// `CAMS_TOKEN` (bearer token) and `CAMS_CALLBACK_SECRET` (`whsec_…`; unset: callbacks refused).
public enum CAMSPlugin {
    public static let plugin = PlatformPlugin(
        rules: PlatformRules(compute: .cams, displayName: "C-AMS"),
        configure: { variables throws(PluginConfigurationError) in
            let secret = variables["CALLBACK_SECRET"]
            if let secret, WebhookSignature(secret: secret) == nil {
                throw PluginConfigurationError(
                    "\(variables.name("CALLBACK_SECRET")) must be whsec_ followed by base64 (Standard Webhooks)")
            }
            let token = variables["TOKEN"]
            guard let url = try variables.url("URL") else { return nil }
            return PluginSetup(url: url) { environment in
                CAMSAdapter(
                    client: PlatformClient(
                        platform: "C-AMS", baseURL: environment.url, token: token, client: environment.client),
                    callbackURL: environment.callbackURL, callbackSecret: secret)
            }
        },
        simulator: SimulatorPlugin(
            make: { options throws(PluginConfigurationError) in
                if let secret = options.callbackSecret, WebhookSignature(secret: secret) == nil {
                    throw PluginConfigurationError("--callback-secret must be whsec_ followed by base64")
                }
                return CAMSSimulator(
                    settings: options.settings, token: options.token, callbackSecret: options.callbackSecret)
            },
            demo: { _ in
                let secret = "whsec_" + Data((0..<24).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
                return SimulatorDemo(
                    options: SimulatorOptions(token: "demo-cams", callbackSecret: secret),
                    environment: { url in
                        ["CAMS_URL": url, "CAMS_TOKEN": "demo-cams", "CAMS_CALLBACK_SECRET": secret]
                    },
                    passthrough: { name, _ in ["table": .string(name)] })
            }))
}
