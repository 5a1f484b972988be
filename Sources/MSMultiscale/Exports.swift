/// The schedules, estimator and diagnostics of this module are built from `MSPlan`'s terms
/// and plans; importing MSMultiscale brings those types along.
@_exported import MSPlan
