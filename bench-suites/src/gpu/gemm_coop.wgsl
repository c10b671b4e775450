// Cooperative-matrix GEMM (gpu.gemm, kernel=coop): C (m x n) = A (m x k) x
// B with B stored as the weights n x k, through wgpu's experimental
// cooperative matrices (tensor cores, simdgroup matrices). A workgroup is
// one subgroup and computes one S x S tile of C: per k-tile it loads A's
// tile row-major and B's as the weights' rows read column-major (B = W^T),
// and multiply-adds them into the accumulator, which starts from a tile of
// zeros. m, n and k are multiples of S (gemm.rs refuses other shapes).
// A template: gemm.rs fills in the names in double braces.
{{ENABLE}}
enable wgpu_cooperative_matrix;

const S: u32 = {{SIZE}}u;

struct Uniforms {
    m: u32,
    n: u32,
    k: u32,
    k_tiles: u32,
}

@group(0) @binding(0) var<uniform> params: Uniforms;
@group(0) @binding(1) var<storage, read> a: array<{{T}}>;
@group(0) @binding(2) var<storage, read> b: array<{{T}}>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<storage, read> zeros: array<f32>;

@compute @workgroup_size({{SUBGROUP}})
fn main(@builtin(workgroup_id) wid: vec3<u32>) {
    let row0 = wid.y * S;
    let col0 = wid.x * S;
    var acc = coopLoadT<coop_mat{{SIZE}}x{{SIZE}}<f32, C>>(&zeros[0], S);
    for (var tile = 0u; tile < params.k_tiles; tile++) {
        let k0 = tile * S;
        let at = coopLoadT<coop_mat{{SIZE}}x{{SIZE}}<{{T}}, A>>(&a[row0 * params.k + k0], params.k);
        let bt = coopLoad<coop_mat{{SIZE}}x{{SIZE}}<{{T}}, B>>(&b[col0 * params.k + k0], params.k);
        acc = coopMultiplyAdd(at, bt, acc);
    }
    coopStoreT(acc, &c[row0 * params.n + col0], params.n);
}
