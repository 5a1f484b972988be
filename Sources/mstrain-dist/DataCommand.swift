import ArgumentParser

/// `mstrain-dist data`: dataset tools.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "data", abstract: "Create, import and inspect HDF5 datasets.")
}
