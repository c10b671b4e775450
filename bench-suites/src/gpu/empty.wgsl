// The empty kernel of gpu.dispatch: one invocation that does nothing.

@compute @workgroup_size(1)
fn main() {}
