import Foundation
import ReviewCore
import ReviewRuntime
import ReviewTesting
import Testing

@Suite struct RepoConfigTests {
    @Test func yamlSettingsAreRead() {
        let (config, problems) = RepoConfigLoader.parse(
            """
            include: ["source/**"]
            exclude:
              - "**/*.test.ts"
            instructions:
              - path: "source/core/**"
                text: "Watch for unhandled promise rejections."
            severity_floor: maintainability
            max_comments: 5
            skip_labels: [no-review]
            """)
        #expect(problems.isEmpty)
        #expect(config.includes("source/core/Ky.ts") && !config.includes("test/main.ts") && !config.includes("source/a.test.ts"))
        #expect(config.instructions(for: ["source/core/Ky.ts"]) == "Watch for unhandled promise rejections.")
        #expect(config.instructions(for: ["readme.md"]).isEmpty)
        #expect(config.maxComments == 5 && config.skipLabels == ["no-review"] && config.severityFloor == .maintainability)
        #expect(!config.keeps(Finding(path: "a", line: 1, quote: "x", severity: .nit, title: "t", body: "b")))
    }

    @Test func invalidConfigFallsBackToDefaultsWithReasons() {
        let (config, problems) = RepoConfigLoader.parse("max_comments: 500\nseverity_floor: awful\nfavourite_colour: blue\n")
        #expect(config == RepoConfig())
        #expect(problems.count == 3)
        // Only the setting that is wrong keeps its default; a typo is named with what was meant.
        let (partly, said) = RepoConfigLoader.parse(
            "max_coments: 3\nskip-labels: [wip]\nseverity_floor: bug\ninclude: [src/**, 7]\nexclude: [\"**/*.lock\"]\nwalkthrough: false\n")
        #expect(partly.severityFloor == .bug && partly.exclude == ["**/*.lock"] && !partly.walkthrough)
        #expect(partly.maxComments == RepoConfig().maxComments && partly.include.isEmpty && partly.skipLabels.isEmpty)
        #expect(
            said == [
                "unknown setting max_coments (did you mean max_comments?)", "unknown setting skip-labels (did you mean skip_labels?)",
                "include must be a list of strings",
            ], "\(said)")
        // No guess for what is far from every setting, and a stranger's long key is cut short.
        #expect(RepoConfigLoader.parse("colour: red\n").1 == ["unknown setting colour"])
        let long = String(repeating: "k", count: 500)  // YAML allows plain keys up to 1,024 characters
        #expect(RepoConfigLoader.parse("\(long): 1\n").1 == ["unknown setting \(long.prefix(64))…"])
        let (_, broken) = RepoConfigLoader.parse("include: [unclosed")
        #expect(broken == [".github/prreview.yml is not valid YAML"])
    }

    @Test(arguments: [
        ("**/*.ts", "source/core/Ky.ts", true), ("*.ts", "source/core/Ky.ts", false), ("source/*", "source/a.ts", true),
        ("source/*", "source/core/a.ts", false), ("**", "anything/at/all", true), ("docs/**", "docs/a/b.md", true), ("a?c", "abc", true),
    ])
    func globs(_ pattern: String, _ path: String, _ expected: Bool) {
        #expect(Glob.matches(pattern, path) == expected)
    }

    @Test func configFromTheBaseBranchShapesTheReview() async throws {
        let app = try await GitHubTestApp.start()
        let job = app.job(for: .named("ky-multi-file-feature-network-error"))
        app.standIn.setFile("sindresorhus/ky", ".github/prreview.yml", "exclude: [\"test/**\"]\nseverity_floor: bug\n")
        let outcome = try await PullRequestReviewer(github: app.client(), model: QuotingModel()).review(job, logger: .quiet)
        let review = try #require(app.standIn.reviews("sindresorhus/ky#842").first)
        await app.stop()
        #expect(outcome.status == .posted)
        #expect(outcome.notReviewed.contains { $0.hasPrefix("test/") })
        #expect(review.body.contains("excluded by .github/prreview.yml"))
        // Only bug findings survive the floor: QuotingModel makes one bug per file.
        #expect(review.comments.allSatisfy { $0["body"]?.stringValue?.hasPrefix("**Bug") == true })

        let broken = try await GitHubTestApp.start()
        let job2 = broken.job(for: .named("ky-small-single-file-edit"))
        broken.standIn.setFile("sindresorhus/ky", ".github/prreview.yml", "max_comments: lots\n")
        _ = try await PullRequestReviewer(github: broken.client(), model: QuotingModel()).review(job2, logger: .quiet)
        let body = broken.standIn.reviews("sindresorhus/ky#731").first?.body ?? ""
        await broken.stop()
        #expect(body.contains("has problems, so the defaults were used") && body.contains(#"max\_comments"#))
    }
}
