import ArgumentParser
import MSTrain

/// Options shared by commands that build a training configuration, in titled groups
/// (`TrainingOptionGroups.swift`). Every option is optional: unset options keep the value of the
/// `--config` file, or the default.
struct TrainingOptions: ParsableArguments {
    @Option(help: "YAML configuration file (a run's config.yaml, say); command-line options override its values.")
    var config: String?

    @OptionGroup(title: OptionSection.dataAndTask) var dataAndTask: DataAndTaskOptions
    @OptionGroup(title: OptionSection.network) var networkOptions: NetworkOptions
    @OptionGroup(title: OptionSection.schedule) var scheduleOptions: ScheduleOptions
    @OptionGroup(title: OptionSection.optimizer) var optimizerOptions: OptimizerOptions
    @OptionGroup(title: OptionSection.runAndCheckpoints) var runOptions: RunOptions
    @OptionGroup(title: OptionSection.distribution) var distributionOptions: DistributionOptions

    /// The configuration file's values (or the defaults) overridden by the options given.
    func resolve() throws -> TrainingConfiguration {
        let base = try config.map(TrainingConfiguration.load(yamlFile:)) ?? TrainingConfiguration()
        let given = try commandLineOverrides([dataAndTask, networkOptions, scheduleOptions, optimizerOptions,
                                              runOptions, distributionOptions])
        let configuration = try base.overridden(by: given, source: "the command line").withModeDefaults()
        try configuration.validate()
        return configuration
    }
}
