// Arithmetic throughput: {{CHAINS}} independent chains per invocation, each
// stepped {{ROUNDS}} times per loop trip (x = {{FORM}}). The trip count comes
// from a uniform so the compiler cannot fold the loop; the starting values
// come from the invocation id and the operands from the uniform; every
// invocation stores its sum, which the host checks.
// A template: fma.rs fills in the names in double braces.
{{ENABLE}}

struct Params {
    trip: u32,
    int_mul: i32,
    int_add: i32,
    float_mul: f32,
    float_add: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;

@compute @workgroup_size({{WORKGROUP}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let id = gid.x + gid.y * groups.x * {{WORKGROUP}}u;
    if id >= arrayLength(&out) {
        return;
    }
    let a = {{A}};
    let b = {{B}};
{{INIT}}
    for (var i = 0u; i < params.trip; i++) {
{{BODY}}
    }
    let s = {{SUM}};
    out[id] = {{STORE}};
}
