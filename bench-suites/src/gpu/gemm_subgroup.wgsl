// Subgroup GEMM (gpu.gemm, kernel=subgroup): C (m x n, f32) = A (m x k) x
// B, B stored as the weights n x k. A workgroup computes G x S rows (S the
// subgroup size) by WG x CN columns; every subgroup holds the tile's A rows
// in registers, G rows per invocation (a vec4 of k at a time), and shares
// them by subgroupBroadcast, so each value of A is loaded once per
// subgroup and each value of B once per invocation, and every invocation
// multiply-adds its G S x CN block of C in registers. {{ACCUMULATION}}
// params.k_tiles is the number of k-tiles of 8 computed: ceil(k / 8) when
// measuring (the host's check fails when a tile is missing).
// A template: gemm.rs fills in the names in double braces.
{{ENABLE}}

const WG: u32 = {{WORKGROUP}}u;
const S: u32 = {{SUBGROUP}}u;
const G: u32 = {{GROUPS}}u;
const CN: u32 = {{CN}}u;

{{BINDINGS}}

@compute @workgroup_size(WG)
fn main(
    @builtin(local_invocation_index) t: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(subgroup_invocation_id) lane: u32,
) {
    let row0 = wid.y * S * G;
    // The rows of A this invocation loads (clamped: rows past m are loaded
    // but never stored).
{{ROWS}}
{{COLUMNS}}
{{DECLARE}}
    let steps = min(params.k_tiles * 2u, params.k4);
    for (var kq = 0u; kq < steps; kq++) {
{{LOAD_A}}
{{LOAD_B}}
{{MULTIPLY}}
    }
{{STORE}}
}
