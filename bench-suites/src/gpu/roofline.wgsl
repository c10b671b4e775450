// Roofline kernel (gpu.roofline): every invocation reads CHAINS chains of
// vec4 elements once, chain k's element e at (e * CHAINS + k) * invocations
// + id (consecutive invocations read consecutive elements), and does the
// work of the point's intensity with each element: {{WORK}}.
// Each invocation stores the sum of its chains per lane and the xor of the
// bits it folded; the host checks both against the closed form of
// bench-suites/src/roofline/work.rs. `init` writes the data that closed form
// assumes. f16 data are stored as pairs of halves in u32 words. A template: roofline.rs fills in the names in double braces.
{{ENABLE}}

const WG: u32 = {{WORKGROUP}}u;
const CHAINS: u32 = {{CHAINS}}u;

struct Uniforms {
    // Invocations of a dispatch: the stride between a chain's elements.
    invocations: u32,
    // Elements each chain reads.
    elements: u32,
    // Periods of 8 multiply-adds per element (when the work has them).
    trip: u32,
    pad: u32,
    muls: array<vec4<f32>, 2>,
}

@group(0) @binding(0) var<uniform> params: Uniforms;
@group(0) @binding(1) var<storage, read_write> data: array<{{ELEMENT}}>;
@group(0) @binding(2) var<storage, read_write> sums: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> folded: array<u32>;

// Element i as values, and as the bits it is stored in.
fn load(i: u32) -> vec4<{{T}}> {
    {{LOAD}}
}

fn raw(i: u32) -> {{BITS}} {
    {{RAW}}
}

fn index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
    return gid.x + gid.y * groups.x * WG;
}

// Element e of chain number c: +/-(1 + ((c + e) mod 8) / 8), positive in
// the first half of every 16 elements.
fn value(e: u32, c: u32) -> f32 {
    let magnitude = 1.0 + f32((c % 8u + e % 8u) % 8u) / 8.0;
    return select(-magnitude, magnitude, e % 16u < 8u);
}

@compute @workgroup_size(WG)
fn init(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let q = index(gid, groups);
    if q >= arrayLength(&data) {
        return;
    }
    let id = q % params.invocations;
    let k = (q / params.invocations) % CHAINS;
    let e = q / params.invocations / CHAINS;
    let c = id % 8u + k;
    let v = vec4<f32>(value(e, c), value(e, c + 1u), value(e, c + 2u), value(e, c + 3u));
    data[q] = {{PACK}};
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let id = index(gid, groups);
    if id >= params.invocations {
        return;
    }
    let stride = params.invocations;
{{MULTIPLIERS}}
{{DECLARE}}
{{BODY}}
    sums[id] = {{SUM}};
    folded[id] = {{FOLD}};
}
