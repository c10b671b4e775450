// GEMV for decode (gpu.gemv; gpu.gemm's kernel for few tokens): y = W x for
// BATCH vectors at once. One workgroup per weight row: its invocations
// stride along the row in vec4 loads (consecutive invocations, consecutive
// addresses), so every weight is read once and used for all BATCH
// vectors; each invocation keeps BATCH partial sums, the workgroup adds
// them up ({{REDUCTION}}) and writes y[b][row].
// A template: gemv.rs fills in the names in double braces.
{{ENABLE}}

const WG: u32 = {{WORKGROUP}}u;
const BATCH: u32 = {{BATCH}}u;

{{BINDINGS}}

var<workgroup> partial: array<f32, BATCH * WG>;

@compute @workgroup_size(WG)
fn main(
    @builtin(local_invocation_index) t: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,{{SUBGROUP_BUILTINS}}
) {
    let row = wid.x + wid.y * groups.x;
    if row >= params.n {
        return;
    }
    var acc: array<f32, BATCH>;
    let base = row * params.k4;
    for (var i = t; i < params.k4; i += WG) {
        let wv = w[base + i];
{{ACCUMULATE}}
    }
{{REDUCE}}
    workgroupBarrier();
    for (var b = t; b < BATCH; b += WG) {
        var s = 0.0;
        for (var j = 0u; j < {{PARTS}}; j++) {
            s += partial[b * WG + j];
        }
        y[b * params.n + row] = s;
    }
}
