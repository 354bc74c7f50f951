import Foundation
import ReviewCore
import Yams

/// A function as a deploy file starts it: which executable, with which arguments, and exactly the
/// environment the file gives it, read from the files as written (Knative/Cloud Run services, the
/// KEDA manifest, the OpenFaaS stack, the SAM template). Secrets are looked up by the caller, the
/// way the platform would fill them in.
package struct DeployedFunction: Sendable, CustomStringConvertible {
    package enum Platform: String, Sendable { case knative, kubernetes, kubernetesJob, openFaaS, lambda }

    package let file: String
    /// The executable: `webhook-ingest` or `review-job`.
    package let executable: String
    package let platform: Platform
    package let arguments: [String]
    package let environment: [String: String]
    /// OpenFaaS: the secrets mounted as files under `/var/openfaas/secrets/`.
    package var mountedSecrets: [String] = []
    /// Lambda: the function's timeout in seconds.
    package var timeout: TimeInterval?

    package init(
        file: String, executable: String, platform: Platform, arguments: [String], environment: [String: String], mountedSecrets: [String] = []
    ) {
        self.file = file
        self.executable = executable
        self.platform = platform
        self.arguments = arguments
        self.environment = environment
        self.mountedSecrets = mountedSecrets
    }

    package var description: String { "\(executable) in \(file) (\(platform.rawValue))" }
}

/// Reads deploy files into `DeployedFunction`s. Every secret a file names must be found by
/// `secret(store, key)` — a secret the documented steps never create is an error naming it.
package enum DeployManifests {
    package struct Problem: Error, CustomStringConvertible {
        package let description: String
        init(_ description: String) { self.description = description }
    }

    /// The executable an image reference names (`…/pr-review/review-job:latest` → `review-job`).
    static func executable(image: String) -> String {
        String(image.split(separator: "/").last?.split(separator: ":").first ?? "")
    }

    /// A Knative `Service` (Cloud Run's format) or Kubernetes objects with pods: one function per
    /// container. `secret(name, key)` answers a `secretKeyRef`.
    package static func kubernetes(file: String, yaml: String, secret: (String, String) -> String?) throws -> [DeployedFunction] {
        var functions: [DeployedFunction] = []
        for document in try Yams.compose_all(yaml: yaml) {
            guard let kind = document["kind"]?.string else { continue }
            let pod: Node?
            let platform: DeployedFunction.Platform
            switch kind {
            case "Service" where document["apiVersion"]?.string?.hasPrefix("serving.knative.dev") == true:
                (pod, platform) = (document["spec"]?["template"]?["spec"], .knative)
            case "Deployment": (pod, platform) = (document["spec"]?["template"]?["spec"], .kubernetes)
            case "ScaledJob": (pod, platform) = (document["spec"]?["jobTargetRef"]?["template"]?["spec"], .kubernetesJob)
            default: continue
            }
            for container in pod?["containers"]?.array() ?? [] {
                var environment: [String: String] = [:]
                for entry in container["env"]?.array() ?? [] {
                    guard let name = entry["name"]?.string else { throw Problem("\(file): an env entry without a name") }
                    if let value = entry["value"]?.string {
                        environment[name] = value
                    } else if let reference = entry["valueFrom"]?["secretKeyRef"], let secretName = reference["name"]?.string,
                        let key = reference["key"]?.string
                    {
                        guard let value = secret(secretName, key) else {
                            throw Problem("\(file): \(name) reads secret \(secretName) (key \(key)), which the documented steps do not create")
                        }
                        environment[name] = value
                    } else {
                        throw Problem("\(file): \(name) has neither a value nor a secretKeyRef")
                    }
                }
                functions.append(
                    DeployedFunction(
                        file: file, executable: executable(image: container["image"]?.string ?? ""), platform: platform,
                        arguments: container["args"]?.array().compactMap(\.string) ?? [], environment: environment
                    ))
            }
        }
        return functions
    }

    /// An OpenFaaS stack file (after faas-cli's `${VAR}` substitution, which the caller does).
    package static func openFaaS(file: String, yaml: String) throws -> [DeployedFunction] {
        guard let functions = try Yams.compose(yaml: yaml)?["functions"]?.mapping else { throw Problem("\(file): no functions") }
        return try functions.map { name, function in
            var environment: [String: String] = [:]
            for (key, value) in function["environment"]?.mapping ?? [:] {
                guard let key = key.string, let value = value.string else { throw Problem("\(file): \(name.string ?? "?") has a non-string environment entry") }
                environment[key] = value
            }
            return DeployedFunction(
                file: file, executable: executable(image: function["image"]?.string ?? ""), platform: .openFaaS,
                arguments: ["serve"], environment: environment, mountedSecrets: function["secrets"]?.array().compactMap(\.string) ?? []
            )
        }
    }

    /// The functions of a SAM template, each with its `Environment.Variables` evaluated as
    /// CloudFormation would: parameters (defaults, then `overrides`; SSM parameter types read from
    /// `ssm`), pseudo parameters, `!Ref`, `!Sub`, `!GetAtt`, `!If` over the template's conditions,
    /// and Secrets Manager dynamic references answered by `secret(key)`.
    package static func sam(
        file: String, yaml: String, stackName: String, overrides: [String: String], ssm: [String: String], secret: @escaping (String) -> String?
    ) throws -> [DeployedFunction] {
        guard let template = try Yams.compose(yaml: yaml) else { throw Problem("\(file): empty") }
        let stack = try CloudFormationStack(template: template, stackName: stackName, overrides: overrides, ssm: ssm, secret: secret)
        var functions: [DeployedFunction] = []
        for (id, resource) in template["Resources"]?.mapping ?? [:] where resource["Type"]?.string == "AWS::Serverless::Function" {
            var environment: [String: String] = [:]
            for (key, value) in resource["Properties"]?["Environment"]?["Variables"]?.mapping ?? [:] {
                guard let key = key.string else { continue }
                if let value = try stack.evaluate(value) { environment[key] = value }
            }
            let dockerfile = resource["Metadata"]?["Dockerfile"]?.string ?? ""
            let executable = dockerfile.split(separator: "/").dropLast().last.map(String.init) ?? (id.string ?? "")
            var function = DeployedFunction(file: file, executable: executable, platform: .lambda, arguments: [], environment: environment)
            function.timeout = resource["Properties"]?["Timeout"]?.int.map(TimeInterval.init)
            functions.append(function)
        }
        return functions
    }
}

/// The part of CloudFormation a function's environment needs, evaluated over a template.
struct CloudFormationStack {
    typealias Problem = DeployManifests.Problem
    static let region = "us-east-1"
    static let account = "123456789012"

    let template: Node
    let stackName: String
    let parameters: [String: String]
    let secret: (String) -> String?

    init(template: Node, stackName: String, overrides: [String: String], ssm: [String: String], secret: @escaping (String) -> String?) throws {
        self.template = template
        self.stackName = stackName
        self.secret = secret
        var parameters: [String: String] = [:]
        for (name, declaration) in template["Parameters"]?.mapping ?? [:] {
            guard let name = name.string else { continue }
            guard let value = overrides[name] ?? declaration["Default"]?.string else { throw Problem("parameter \(name) has no value and no default") }
            if declaration["Type"]?.string?.hasPrefix("AWS::SSM::Parameter::Value") == true {
                guard let stored = ssm[value] else { throw Problem("parameter \(name) reads SSM \(value), which the documented steps do not put") }
                parameters[name] = stored
            } else {
                parameters[name] = value
            }
        }
        self.parameters = parameters
    }

    /// A resource's physical name as CloudFormation makes it up (`stack-LogicalId-SUFFIX`).
    func physicalName(_ id: String) -> String { "\(stackName)-\(id)-TESTSUFFIX" }

    func reference(_ name: String) throws -> String? {
        switch name {
        case "AWS::NoValue": return nil
        case "AWS::Region": return Self.region
        case "AWS::AccountId": return Self.account
        case "AWS::StackName": return stackName
        case "AWS::Partition": return "aws"
        default:
            if let value = parameters[name] { return value }
            guard template["Resources"]?[name] != nil else { throw Problem("!Ref \(name): no such parameter or resource") }
            return physicalName(name)
        }
    }

    /// `Resource.Arn` as CloudFormation answers it for the resource types our template uses.
    func attribute(_ path: String) throws -> String {
        let parts = path.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2, parts[1] == "Arn", let type = template["Resources"]?[parts[0]]?["Type"]?.string else {
            throw Problem("!GetAtt \(path): no such resource or attribute")
        }
        switch type {
        case "AWS::IAM::Role": return "arn:aws:iam::\(Self.account):role/\(physicalName(parts[0]))"
        case "AWS::Serverless::Function", "AWS::Lambda::Function": return "arn:aws:lambda:\(Self.region):\(Self.account):function:\(physicalName(parts[0]))"
        default: throw Problem("!GetAtt \(path): a \(type)'s ARN is not modelled here")
        }
    }

    /// A value, or nil for `AWS::NoValue`.
    func evaluate(_ node: Node) throws -> String? {
        switch node.tag.description {
        case "!Ref": return try reference(node.string ?? "")
        case "!GetAtt": return try attribute(node.string ?? node.array().compactMap(\.string).joined(separator: "."))
        case "!Sub": return try substitute(node.string ?? "")
        case "!If":
            let parts = node.array()
            guard parts.count == 3, let name = parts[0].string else { throw Problem("!If needs [condition, then, else]") }
            return try evaluate(try condition(named: name) ? parts[1] : parts[2])
        default:
            guard let text = node.string else { throw Problem("unsupported value \(node)") }
            return text
        }
    }

    func condition(named name: String) throws -> Bool {
        guard let node = template["Conditions"]?[name] else { throw Problem("no condition \(name)") }
        return try truth(node)
    }

    func truth(_ node: Node) throws -> Bool {
        let parts = node.array()
        switch node.tag.description {
        case "!Not": return try !truth(parts.first ?? node)
        case "!Equals": return try parts.count == 2 && evaluate(parts[0]) == evaluate(parts[1])
        case "!And": return try parts.allSatisfy(truth)
        case "!Or": return try parts.contains(where: truth)
        case "!Condition": return try condition(named: node.string ?? "")
        default: throw Problem("unsupported condition \(node)")
        }
    }

    /// `${Name}`, `${Resource.Attribute}` and `{{resolve:secretsmanager:…:SecretString:KEY}}`.
    func substitute(_ text: String) throws -> String {
        var result = ""
        var rest = text[...]
        while let start = rest.range(of: "${") {
            result += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else { throw Problem("!Sub: unclosed ${ in \(text)") }
            let name = String(rest[start.upperBound..<end])
            result += try name.contains(".") ? attribute(name) : (reference(name) ?? "")
            rest = rest[rest.index(after: end)...]
        }
        result += rest
        return try resolveSecrets(result)
    }

    func resolveSecrets(_ text: String) throws -> String {
        guard let start = text.range(of: "{{resolve:secretsmanager:"), let end = text.range(of: "}}", range: start.upperBound..<text.endIndex) else {
            return text
        }
        let fields = text[start.upperBound..<end.lowerBound].components(separatedBy: ":SecretString:")
        guard fields.count == 2, let key = fields[1].split(separator: ":").first.map(String.init) else {
            throw Problem("unreadable dynamic reference in \(text)")
        }
        guard let value = secret(key) else { throw Problem("the secret has no key \(key): the documented steps do not put it there") }
        return try text[..<start.lowerBound] + value + resolveSecrets(String(text[end.upperBound...]))
    }
}
