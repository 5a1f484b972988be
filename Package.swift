// swift-tools-version:6.0
import PackageDescription

/// Hot numerical code is compiled for AVX2 + FMA (x86-64-v3); without it Swift's SIMD types
/// fall back to libm calls and never vectorise.
let fastMath: [SwiftSetting] = [
    .unsafeFlags(["-Xcc", "-march=x86-64-v3", "-enforce-exclusivity=unchecked"]),
]

let package = Package(
    name: "mstrain",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "mstrain-dist", targets: ["mstrain-dist"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        // Native libraries: one module map and one shim header each.
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c",
                       providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CFFTW", path: "Sources/CFFTW", pkgConfig: "fftw3f",
                       providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5-serial",
                       providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),
        .systemLibrary(name: "CPrefetch", path: "Sources/CPrefetch"),
        .systemLibrary(name: "CTranspose", path: "Sources/CTranspose"),
        .systemLibrary(name: "CImageCodecs", path: "Sources/CImageCodecs", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev", "libjpeg62-turbo-dev"])]),
        // libjpeg behind a C wrapper: its fatal errors longjmp, which Swift cannot do.
        .target(name: "CJPEGDecode", linkerSettings: [.linkedLibrary("jpeg")]),

        .target(name: "MSTensor", dependencies: ["COpenBLAS", "CMalloc"], swiftSettings: fastMath),
        .target(name: "MSKernels", dependencies: ["MSTensor", "CFFTW", "CPrefetch", "CTranspose"], swiftSettings: fastMath),
        .target(name: "MSNN", dependencies: ["MSTensor", "MSKernels", "MSSpatial"], swiftSettings: fastMath),
        .target(name: "MSOptim", dependencies: ["MSTensor"], swiftSettings: fastMath),
        .target(name: "MSData", dependencies: ["MSTensor", "CHDF5", "CImageCodecs", "CJPEGDecode"], swiftSettings: fastMath),
        .target(name: "MSTasks", dependencies: ["MSTensor", "MSKernels"], swiftSettings: fastMath),
        // What a step estimates and where: terms, their modelled cost, the split over ranks.
        .target(name: "MSPlan"),
        .target(name: "MSMultiscale", dependencies: ["MSPlan", "MSTensor", "MSKernels", "MSNN", "MSSpatial", "MSTasks"],
                swiftSettings: fastMath),
        .target(name: "MSDistributed", dependencies: ["CMPI"]),
        // Images split into row strips over a group of ranks: halo exchange and strip layers.
        .target(name: "MSSpatial", dependencies: ["MSTensor", "MSKernels", "MSDistributed"], swiftSettings: fastMath),
        .target(name: "MSTrain",
                dependencies: ["MSTensor", "MSKernels", "MSNN", "MSOptim", "MSData", "MSTasks", "MSMultiscale", "MSDistributed",
                               .product(name: "Yams", package: "Yams")],
                swiftSettings: fastMath),
        // Self-contained HTML reports: page builder, SVG line charts, image grids.
        .target(name: "MSReport", dependencies: ["MSData"]),
        .executableTarget(
            name: "mstrain-dist",
            dependencies: [
                "MSTensor", "MSKernels", "MSNN", "MSOptim", "MSData", "MSTasks", "MSMultiscale", "MSDistributed", "MSTrain",
                "MSReport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // Compiled for testing in release builds too, so that MStrainDistTests can test the
            // commands' own logic (its hot code lives in the library modules).
            swiftSettings: fastMath + [.unsafeFlags(["-enable-testing"])]),

        // Run under mpirun by launch/mpi-tests.sh: collectives, stall watchdog, abort on error.
        .executableTarget(name: "mstrain-mpi-check", dependencies: ["MSDistributed", "MSPlan", "MSTensor"], path: "Tests/MPITests"),
        .executableTarget(name: "mstrain-mpi-spatial-check", dependencies: ["MSDistributed", "MSKernels", "MSNN", "MSSpatial", "MSTensor"],
                          path: "Tests/MPISpatialTests"),
        .executableTarget(name: "mstrain-mpi-training-check", dependencies: ["MSData", "MSDistributed", "MSMultiscale", "MSNN", "MSTensor",
                                                                              "MSTestSupport", "MSTrain"],
                          path: "Tests/MPITrainingTests"),

        // Fixture loading, finite-difference helpers and Float64 reference networks shared by the test targets.
        .target(name: "MSTestSupport", dependencies: ["MSTensor", "MSKernels", "MSNN", "MSMultiscale", "MSTrain"]),

        .testTarget(name: "MSTensorTests", dependencies: ["MSTensor"]),
        .testTarget(name: "MSKernelsTests", dependencies: ["MSTestSupport", "MSTensor", "MSKernels"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "MSNNTests", dependencies: ["MSTestSupport", "MSTensor", "MSKernels", "MSNN"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "MSOptimTests", dependencies: ["MSTestSupport", "MSTensor", "MSOptim"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "MSDataTests", dependencies: ["MSTestSupport", "MSTensor", "MSData"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "MSTasksTests", dependencies: ["MSTestSupport", "MSTensor", "MSKernels", "MSTasks"]),
        .testTarget(name: "MSMultiscaleTests",
                    dependencies: ["MSTestSupport", "MSTensor", "MSKernels", "MSNN", "MSTasks", "MSMultiscale"]),
        .testTarget(name: "MSDistributedTests", dependencies: ["MSDistributed"]),
        .testTarget(name: "MSPlanTests", dependencies: ["MSPlan"]),
        .testTarget(name: "MSSpatialTests", dependencies: ["MSDistributed", "MSKernels", "MSSpatial", "MSTensor"]),
        .testTarget(name: "MSReportTests", dependencies: ["MSData", "MSReport"]),
        .testTarget(name: "MSTrainTests",
                    dependencies: ["MSTestSupport", "MSTensor", "MSKernels", "MSNN", "MSOptim", "MSData", "MSTasks", "MSMultiscale",
                                   "MSDistributed", "MSTrain"]),
        // The command's own logic (bench quality's sweep, horizon and targets).
        .testTarget(name: "MStrainDistTests", dependencies: ["mstrain-dist", "MSTrain"]),
    ]
)
