import ArgumentParser
import Foundation
import MSData
import MSReport

/// `mstrain-dist report`: a self-contained HTML page of a run or a benchmark directory.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write an HTML report of a run directory or a benchmark directory.",
        discussion: """
            For a run directory (with log.jsonl): training loss and validation PSNR against steps, work \
            units and seconds, the loss terms per level, validation images restored by its weights.h5 \
            (input, output, target), and its configuration. For a directory without log.jsonl, the runs \
            one or two levels below it (BENCH/<regime>/<mode>/, as `bench quality` writes them): their \
            validation curves overlaid, one figure per regime, table.md and a section per run. The page \
            is one file with everything inline; open it in any browser.
            """)

    @Argument(help: "Run directory (train --run-directory) or benchmark directory.")
    var directory: String
    @Option(help: "Output HTML file (default: DIRECTORY/report.html).")
    var output: String?
    @Option(help: "Validation images shown in a run report (0: none).")
    var images: Int = 4
    @Option(help: "BLAS threads for restoring the images (default: all cores).")
    var threads: Int?

    func validate() throws {
        if images < 0 { throw ValidationError("--images must be 0 or more, got \(images)") }
    }

    func run() throws {
        try runReportingErrors {
            configureThreads(threads)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ReportError.missingDirectory(directory)
            }
            let page: HTMLPage
            if ReportedRun.isRun(directory) {
                page = RunReportPage.make(try ReportedRun(path: directory), imageCount: images)
            } else {
                let entries = BenchmarkReportPage.findRuns(in: directory)
                guard !entries.isEmpty else { throw ReportError.noRuns(directory) }
                page = BenchmarkReportPage.make(directory: directory, entries: entries)
            }
            let path = output ?? (directory as NSString).appendingPathComponent("report.html")
            try AtomicOutput.write(to: path) { temporary in
                do { try page.render().write(toFile: temporary, atomically: false, encoding: .utf8) }
                catch { throw ReportError.unwritable(path) }
            }
            print("wrote \(path)")
        }
    }
}
