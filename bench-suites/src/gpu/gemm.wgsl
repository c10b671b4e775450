// Tiled GEMM (gpu.gemm): C (m x n, f32) = A (m x k) x B, B stored as the
// weights n x k (row-major, as checkpoints store them). A workgroup of WG
// invocations computes a TM x TN tile of C, TM = RM rows by TN = WG x CN
// columns; each invocation holds an RM x CN block of C in registers (all
// invocations share the rows, each has its own CN columns). The k
// dimension goes by tiles of TK: the workgroup copies A's and B's TK-slices
// into workgroup memory k-major, then at each depth every invocation reads
// the tile's RM values of A (the same for all: a broadcast) and its CN
// values of B, and multiply-adds the RM x CN outer product. {{ACCUMULATION}}
// params.k_tiles is the number of k-tiles computed: ceil(k / TK) when
// measuring (the host's check fails when a tile is missing).
// A template: gemm.rs fills in the names in double braces.
{{ENABLE}}

const WG: u32 = 64u;
const TK: u32 = 8u;
const RM: u32 = 16u;
const CN: u32 = {{CN}}u;
const TM: u32 = RM;
const TN: u32 = WG * CN;

{{BINDINGS}}

// As[kk * TM / 4 + g] holds rows 4g .. 4g+3 of the tile at depth kk.
var<workgroup> As: array<vec4<{{T}}>, TK * TM / 4u>;
// B's tile at depth kk, columns in order: {{BS_LAYOUT}}
var<workgroup> Bs: {{BS_TYPE}};

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let row0 = wid.y * TM;
    let col0 = wid.x * TN;
    var acc: array<{{ACC}}, RM>;
{{DECLARE_PARTIAL}}
    for (var tile = 0u; tile < params.k_tiles; tile++) {
        // A's slice: TM rows x TK = TM * TK / 4 vec4s along k, one each for
        // the first invocations, stored k-major.
        if t < TM * TK / 4u {
            let r = t / (TK / 4u);
            let q = t % (TK / 4u);
            let kq = tile * (TK / 4u) + q;
            var av = vec4<{{T}}>();
            if row0 + r < params.m && kq < params.k4 {
                av = a[(row0 + r) * params.k4 + kq];
            }
            for (var i = 0u; i < 4u; i++) {
                As[(4u * q + i) * (TM / 4u) + r / 4u][r % 4u] = av[i];
            }
        }
        // B's slice: TN columns x TK = TN * TK / 4 vec4s along k, CN * TK / 4
        // per invocation; consecutive invocations read consecutive vec4s.
        for (var s = 0u; s < CN * TK / 4u; s++) {
            let l = s * WG + t;
            let col = l / (TK / 4u);
            let q = l % (TK / 4u);
            let kq = tile * (TK / 4u) + q;
            var bv = vec4<{{T}}>();
            if col0 + col < params.n && kq < params.k4 {
                bv = b[(col0 + col) * params.k4 + kq];
            }
            for (var i = 0u; i < 4u; i++) {
{{STORE_B}}
            }
        }
        workgroupBarrier();
        for (var kk = 0u; kk < TK; kk++) {
            let bk = {{LOAD_B}};
{{MULTIPLY}}
        }
{{FLUSH_PARTIAL}}
        workgroupBarrier();
    }
    for (var i = 0u; i < RM; i++) {
        let row = row0 + i;
        if row < params.m {
{{STORE_C}}
        }
    }
}
