// GEMV, one weight row per invocation (gpu.gemv on software adapters, where
// every load whose address is not a compile-time constant costs a loop over
// the lanes): y = W x for BATCH vectors. The invocations of a subgroup walk
// their rows' k in step; every S steps each loads one vec4 of each x (lane j
// the j-th), and subgroupBroadcast hands them round, so x is loaded once per
// subgroup and each weight once. Rows past n are read clamped, never stored.
// A template: gemv.rs fills in the names in double braces.
{{ENABLE}}

const WG: u32 = {{WORKGROUP}}u;
const S: u32 = {{SUBGROUP}}u;

{{BINDINGS}}

@compute @workgroup_size(WG)
fn main(
    @builtin(local_invocation_index) t: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(subgroup_invocation_id) lane: u32,
) {
    let row = (wid.x + wid.y * groups.x) * WG + t;
    let base = min(row, params.n - 1u) * params.k4;
{{DECLARE}}
    for (var kc = 0u; kc < params.k4; kc += S) {
        let mine = min(kc + lane, params.k4 - 1u);
{{LOAD_X}}
{{STEPS}}
    }
    if row < params.n {
{{STORE}}
    }
}
