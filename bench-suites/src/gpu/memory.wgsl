// BabelStream kernels over three f32 arrays of params.n elements, one
// element per invocation. Invocation index: gid.x + gid.y * groups.x * WG
// (the grid is 2D when n exceeds one dimension's workgroup limit).

const WG: u32 = 256u;

struct Uniforms {
    n: u32,
    scalar: f32,
    start_a: f32,
    start_b: f32,
    start_c: f32,
}

@group(0) @binding(0) var<uniform> params: Uniforms;
@group(0) @binding(1) var<storage, read_write> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
// dot: one partial sum per workgroup.
@group(0) @binding(4) var<storage, read_write> sums: array<f32>;

var<workgroup> partial: array<f32, WG>;

fn index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
    return gid.x + gid.y * groups.x * WG;
}

@compute @workgroup_size(WG)
fn init(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = index(gid, groups);
    if i < params.n {
        a[i] = params.start_a;
        b[i] = params.start_b;
        c[i] = params.start_c;
    }
}

@compute @workgroup_size(WG)
fn copy(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = index(gid, groups);
    if i < params.n {
        c[i] = a[i];
    }
}

@compute @workgroup_size(WG)
fn mul(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = index(gid, groups);
    if i < params.n {
        b[i] = params.scalar * c[i];
    }
}

@compute @workgroup_size(WG)
fn add(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = index(gid, groups);
    if i < params.n {
        c[i] = a[i] + b[i];
    }
}

@compute @workgroup_size(WG)
fn triad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = index(gid, groups);
    if i < params.n {
        a[i] = b[i] + params.scalar * c[i];
    }
}

// dot: a fixed grid of workgroups strides over the arrays (as BabelStream's
// dot does), each invocation summing its elements, then each workgroup
// reduces its invocations' sums into one partial sum.
@compute @workgroup_size(WG)
fn dot(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    var sum = 0.0;
    for (var i = gid.x; i < params.n; i += groups.x * WG) {
        sum += a[i] * b[i];
    }
    partial[lid] = sum;
    for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
        workgroupBarrier();
        if lid < stride {
            partial[lid] += partial[lid + stride];
        }
    }
    if lid == 0u {
        sums[wid.x] = partial[0];
    }
}
