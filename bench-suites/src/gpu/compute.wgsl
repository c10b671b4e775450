// Arithmetic throughput: {{CHAINS}} independent chains per invocation, each
// stepped {{ROUNDS}} times per loop trip (x = {{FORM}}). The trip count comes
// from a uniform so the compiler cannot fold the loop; the starting values
// come from the invocation id and the operands from the uniform (the float
// addend changes with the trip, so the end depends on how many trips ran);
// every invocation stores its sum, which the host checks.
// A template: fma.rs fills in the names in double braces.
{{ENABLE}}

struct Uniforms {
    trip: u32,
    int_mul: i32,
    int_add: i32,
    float_mul: f32,
    float_add: f32,
    float_step: f32,
}

@group(0) @binding(0) var<uniform> params: Uniforms;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;

@compute @workgroup_size({{WORKGROUP}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let id = gid.x + gid.y * groups.x * {{WORKGROUP}}u;
    if id >= arrayLength(&out) {
        return;
    }
    let a = {{A}};
{{B_FIXED}}
{{INIT}}
    for (var i = 0u; i < params.trip; i++) {
{{B_TRIP}}
{{BODY}}
    }
    let s = {{SUM}};
    out[id] = {{STORE}};
}
