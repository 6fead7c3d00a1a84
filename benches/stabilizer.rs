//! Placeholder replaced by the stabilizer benchmark.
fn main() {}
