//! What `gpu.gemm` and `gpu.gemv` share: layer shapes, the operands on the
//! device, and the check of a product against the host's reference.
//!
//! A linear layer computes C = A x B with A the activations (m tokens x k
//! features, row-major) and B the weights, stored as LLM checkpoints store
//! them: n output features x k input features, row-major (B transposed).
//! C (m x n) is f32 in every precision. Operand values are multiples of
//! 1/16 in [0.5, 15/16], exact in f16: every product is a multiple of 1/256
//! of at most 225/256, so each sum is positive (a missing term cannot
//! cancel out) and, while its bits fit the precision, exact in any order
//! (see [`tolerance`]).

use hwbench_schema::units::format_bytes;

use super::device::GpuDevice;
use super::fma::Precision;
use crate::error::BenchError;
use crate::params::{Param, ParamKind, Settings, Unset};

/// The decoder shapes (n x k) measured by default: attention projections
/// (4096 x 4096), an MLP's up and down projections (14336 x 4096 as n x k is
/// the up projection's 4096 -> 14336; 4096 x 14336 the down projection),
/// and a wider model's square (8192 x 8192).
pub const DEFAULT_SHAPES: &str = "4096x4096,4096x14336,14336x4096,8192x8192";
/// Elements of C checked at most (evenly spread, corners included).
pub const CHECKED: usize = 256;

/// The `shapes` param of gpu.gemm and gpu.gemv.
pub const SHAPES: Param<String> = Param::new(
    "shapes",
    ParamKind::Text,
    Unset::Value(DEFAULT_SHAPES),
    "weight shapes NxK (output x input features), comma separated; k a multiple of 4",
);
/// The `precision` param of gpu.gemm and gpu.gemv.
pub const PRECISION: Param<String> = Param::new(
    "precision",
    ParamKind::Choice(&PRECISIONS),
    Unset::Derived("both"),
    "f32, or f16 (f16 operands and multiply-adds, f32 sums; needs shader-f16)",
);
/// The precisions measured.
pub const PRECISIONS: [&str; 2] = ["f32", "f16"];

/// A weight matrix shape: n output features x k input features.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Output features (rows of the weights, columns of C).
    pub n: u32,
    /// Input features (the reduction).
    pub k: u32,
}

/// The shapes of the `shapes` param, each checked.
pub fn shapes(settings: &Settings) -> Result<Vec<Shape>, BenchError> {
    let text = SHAPES.value(settings)?;
    let bad = |why: String| BenchError::bad_param(settings.id, SHAPES.spec.name, why);
    text.split(',')
        .map(str::trim)
        .map(|part| {
            let (n, k) = part.split_once(['x', 'X']).ok_or_else(|| bad(format!("'{part}' is not NxK")))?;
            let number = |t: &str| t.trim().parse::<u32>().ok().filter(|v| *v > 0);
            let (Some(n), Some(k)) = (number(n), number(k)) else {
                return Err(bad(format!("'{part}': n and k must be positive integers")));
            };
            if k % 4 != 0 {
                return Err(bad(format!("'{part}': k must be a multiple of 4 (vec4 loads)")));
            }
            Ok(Shape { n, k })
        })
        .collect()
}

/// Positive counts from a comma list (`m`, `batch`), each within `range`.
pub fn counts(
    settings: &Settings,
    param: &Param<String>,
    range: std::ops::RangeInclusive<u32>,
) -> Result<Vec<u32>, BenchError> {
    let text = param.value(settings)?;
    let bad = |why: String| BenchError::bad_param(settings.id, param.spec.name, why);
    text.split(',')
        .map(str::trim)
        .map(|t| {
            t.parse::<u32>()
                .ok()
                .filter(|v| range.contains(v))
                .ok_or_else(|| bad(format!("'{t}' is not an integer from {} to {}", range.start(), range.end())))
        })
        .collect()
}

/// Activation (A) element (i, kk).
pub fn a_value(i: u32, kk: u32) -> f64 {
    0.5 + f64::from((i.wrapping_mul(7).wrapping_add(kk.wrapping_mul(3))) % 8) / 16.0
}

/// Weight element (j, kk): output feature j, input feature kk.
pub fn b_value(j: u32, kk: u32) -> f64 {
    0.5 + f64::from((j.wrapping_mul(5).wrapping_add(kk.wrapping_mul(11))) % 8) / 16.0
}

/// The largest product of two operands, and the grid every product lies on.
const PRODUCT_MAX: f64 = (15.0 / 16.0) * (15.0 / 16.0);
const PRODUCT_GRID: f64 = 1.0 / 256.0;

/// Bytes per element of the operands.
pub fn element_bytes(precision: Precision) -> u64 {
    if precision == Precision::F16 {
        2
    } else {
        4
    }
}

/// The operands of one product on the device: A (`rows` x k), the weights
/// (n x k), C (`rows` x n, f32).
pub struct Operands {
    /// Activations.
    pub a: wgpu::Buffer,
    /// Weights, n x k.
    pub w: wgpu::Buffer,
    /// The product, f32.
    pub c: wgpu::Buffer,
    /// Rows of A and C (m, or the batch).
    pub rows: u32,
    /// The weights' shape.
    pub shape: Shape,
    /// The operands' precision.
    pub precision: Precision,
}

impl Operands {
    /// Allocates and fills the operands on `gpu`; a device that cannot hold
    /// them makes the point unavailable.
    pub fn new(gpu: &GpuDevice, precision: Precision, rows: u32, shape: Shape) -> Result<Self, BenchError> {
        if let Some((_, name)) = precision.feature().filter(|(f, _)| !gpu.has(*f)) {
            return Err(BenchError::Unavailable(format!(
                "{}: {} needs the {name} feature, which this adapter lacks",
                gpu.adapter.name,
                precision.name()
            )));
        }
        let e = element_bytes(precision);
        let sizes = [u64::from(rows) * u64::from(shape.k) * e, u64::from(shape.n) * u64::from(shape.k) * e];
        let c_bytes = u64::from(rows) * u64::from(shape.n) * 4;
        let limit = gpu.limits.max_storage_buffer_binding_size.min(gpu.limits.max_buffer_size);
        if let Some(&too_big) = sizes.iter().chain([&c_bytes]).find(|&&b| b > limit) {
            return Err(BenchError::Unavailable(format!(
                "{}: an operand of {} exceeds the device's binding limit of {}",
                gpu.adapter.name,
                format_bytes(too_big),
                format_bytes(limit)
            )));
        }
        let usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC;
        let scope = gpu.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let a = gpu.buffer("matmul A", sizes[0], usage);
        let w = gpu.buffer("matmul weights", sizes[1], usage);
        let c = gpu.buffer("matmul C", c_bytes, usage);
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(BenchError::Unavailable(format!(
                "{}: operands of {rows}x{}x{}: {e}",
                gpu.adapter.name, shape.n, shape.k
            )));
        }
        fill(gpu, &a, precision, rows, shape.k, a_value);
        fill(gpu, &w, precision, shape.n, shape.k, b_value);
        Ok(Operands { a, w, c, rows, shape, precision })
    }

    /// Bytes of weights: what one product streams at least.
    pub fn weight_bytes(&self) -> u64 {
        u64::from(self.shape.n) * u64::from(self.shape.k) * element_bytes(self.precision)
    }

    /// Floating-point operations of one product (a multiply-add counts 2).
    pub fn flops(&self) -> f64 {
        2.0 * f64::from(self.rows) * f64::from(self.shape.n) * f64::from(self.shape.k)
    }

    /// Writes zeros into C, so a kernel that stores nothing fails.
    pub fn clear(&self, gpu: &GpuDevice) {
        let mut encoder = gpu.device.create_command_encoder(&Default::default());
        encoder.clear_buffer(&self.c, 0, None);
        gpu.queue.submit([encoder.finish()]);
    }

    /// What [`Operands::validate`] checks, for a record's `info`; `what`
    /// names the product ("C", "y").
    pub fn check_described(&self, what: &str, partial: u32) -> String {
        let (m, n, k) = (self.rows, self.shape.n, self.shape.k);
        let cells = sampled(m, n).len();
        match tolerance(self.precision, k, partial) {
            0.0 => format!(
                "{cells} elements of {what} equal to the host's sums: exact at k = {k} (products on a grid of 1/256, sums within the significand)"
            ),
            t => format!("{cells} elements of {what} against the host's sums, within {t:.2e} of each (k = {k})"),
        }
    }

    /// Checks up to [`CHECKED`] elements of C against the host's sums: each
    /// within `tolerance(k) x sum |a||b|` ([`tolerance`]), `partial` being
    /// how many products the kernel adds in the operand precision before
    /// adding into f32.
    pub fn validate(&self, gpu: &GpuDevice, partial: u32) -> Result<(), BenchError> {
        let (m, n, k) = (self.rows, self.shape.n, self.shape.k);
        let cells = sampled(m, n);
        let staging = gpu.buffer(
            "matmul check",
            cells.len() as u64 * 4,
            wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        );
        let mut encoder = gpu.device.create_command_encoder(&Default::default());
        for (slot, &(i, j)) in cells.iter().enumerate() {
            let at = (u64::from(i) * u64::from(n) + u64::from(j)) * 4;
            encoder.copy_buffer_to_buffer(&self.c, at, &staging, slot as u64 * 4, 4);
        }
        gpu.wait(gpu.queue.submit([encoder.finish()]))?;
        let got: Vec<f32> = gpu.read_mapped(&staging, |b| bytemuck::cast_slice(b).to_vec())?;
        let bound = tolerance(self.precision, k, partial);
        for (&(i, j), &value) in cells.iter().zip(&got) {
            // Every term is positive: sum |a||b| is the sum itself.
            let want: f64 = (0..k).map(|kk| a_value(i, kk) * b_value(j, kk)).sum();
            let allowed = bound * want;
            if (f64::from(value) - want).abs() > allowed || !value.is_finite() {
                return Err(BenchError::Failed(format!(
                    "{}: {} C[{i}][{j}] of {m}x{n} (k {k}) is {value}, expected {want} within {allowed:.3e}",
                    gpu.adapter.name,
                    self.precision.name()
                )));
            }
        }
        Ok(())
    }
}

/// The relative error allowed in an element of C, from k and the
/// precision: Higham's bound gamma_n = n u / (1 - n u) (u the unit
/// roundoff) for a sum of n products, gamma_(k+4) for f32 (a vec4 dot may
/// add up to 4 roundings); for f16, whose kernels multiply-add `partial`
/// products in f16 and add those sums into f32, gamma_(partial+1) in f16's
/// u plus gamma_(k/partial+1) in f32's. Each bound is zero where the sums
/// it covers are exact: every product lies on a grid of 1/256 and is at
/// most 225/256, so a sum of n products is exact in any order while n x
/// 225 fits the precision's significand (2^24 for f32, 2^11 for f16). With
/// the operands here every shape up to k = 74,000 is exact in f32, and
/// f16's partial sums of 8 or 4: then any missing or extra term fails.
pub fn tolerance(precision: Precision, k: u32, partial: u32) -> f64 {
    // Sums of `terms` products in a precision of `bits` significand bits
    // are exact; else Higham's bound for `roundings` roundings.
    let bound = |terms: f64, roundings: f64, bits: i32| {
        let u = 2f64.powi(-bits);
        if terms * PRODUCT_MAX / PRODUCT_GRID < 2f64.powi(bits) {
            0.0
        } else {
            roundings * u / (1.0 - roundings * u)
        }
    };
    let k = f64::from(k);
    match precision {
        Precision::F16 => {
            let p = f64::from(partial.max(1));
            bound(p, p + 1.0, 11) + bound(k, (k / p).ceil() + 1.0, 24)
        }
        _ => bound(k, k + 4.0, 24),
    }
}

/// The (row, column) cells of an m x n product that are checked: the
/// corners, then an even spread, at most [`CHECKED`].
pub fn sampled(m: u32, n: u32) -> Vec<(u32, u32)> {
    let mut cells = vec![(0, 0), (m - 1, n - 1), (0, n - 1), (m - 1, 0)];
    let total = u64::from(m) * u64::from(n);
    let step = (total / CHECKED as u64).max(1);
    let mut at = step / 2;
    while at < total && cells.len() < CHECKED {
        cells.push(((at / u64::from(n)) as u32, (at % u64::from(n)) as u32));
        at += step;
    }
    cells.sort_unstable();
    cells.dedup();
    cells
}

/// Fills a rows x k matrix with `value(row, column)` in `precision`, a few
/// rows at a time.
fn fill(gpu: &GpuDevice, buffer: &wgpu::Buffer, precision: Precision, rows: u32, k: u32, value: fn(u32, u32) -> f64) {
    let rows_per_write = ((16u64 << 20) / (u64::from(k) * 4)).max(1) as u32;
    let mut row = 0;
    while row < rows {
        let last = (row + rows_per_write).min(rows);
        let values = (row..last).flat_map(|i| (0..k).map(move |kk| value(i, kk)));
        let offset = u64::from(row) * u64::from(k) * element_bytes(precision);
        if precision == Precision::F16 {
            let bits: Vec<u16> = values.map(|v| crate::roofline::work::bits_f16(v) as u16).collect();
            gpu.queue.write_buffer(buffer, offset, bytemuck::cast_slice(&bits));
        } else {
            let words: Vec<f32> = values.map(|v| v as f32).collect();
            gpu.queue.write_buffer(buffer, offset, bytemuck::cast_slice(&words));
        }
        row = last;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_counts_parse_and_refuse() {
        let mut s = Settings::new("gpu.gemm");
        let all = shapes(&s).unwrap();
        assert_eq!(all.len(), 4);
        assert_eq!(all[1], Shape { n: 4096, k: 14336 });
        s.set(&SHAPES.spec, "64x130").unwrap();
        assert!(shapes(&s).unwrap_err().to_string().contains("multiple of 4"));
        s.set(&SHAPES.spec, "64").unwrap();
        assert!(shapes(&s).unwrap_err().to_string().contains("'64' is not NxK"));
        const M: Param<String> = Param::new("m", ParamKind::Text, Unset::Value("1,8"), "");
        assert_eq!(counts(&s, &M, 1..=4096).unwrap(), [1, 8]);
        s.set(&M.spec, "0").unwrap();
        assert!(counts(&s, &M, 1..=4096).unwrap_err().to_string().contains("'0' is not an integer from 1 to 4096"));
    }

    #[test]
    fn operand_values_are_exact_in_f16() {
        for (i, kk) in [(0, 0), (3, 7), (1000, 14335)] {
            for v in [a_value(i, kk), b_value(i, kk)] {
                assert!((0.5..1.0).contains(&v));
                assert_eq!((v * 16.0).fract(), 0.0);
                let bits = crate::roofline::work::bits_f16(v);
                let back = 2f64.powi(((bits >> 10) & 31) as i32 - 15) * (1.0 + (bits & 1023) as f64 / 1024.0);
                assert_eq!(back, v);
            }
        }
    }

    /// With these operands every default shape's sums are exact, so the
    /// tolerance is zero and any missing term fails; past what the
    /// precision holds exactly the bound is Higham's and grows with k.
    #[test]
    fn tolerances_are_zero_while_sums_are_exact_and_grow_past_that() {
        for k in [64, 4096, 14336, 8192] {
            assert_eq!(tolerance(Precision::F32, k, 1), 0.0, "k {k}");
            assert_eq!(tolerance(Precision::F16, k, 8), 0.0, "k {k}");
            assert_eq!(tolerance(Precision::F16, k, 4), 0.0, "k {k}");
        }
        let big = tolerance(Precision::F32, 200_000, 1);
        let nu = 200_004.0 * 2f64.powi(-24);
        assert!((big - nu / (1.0 - nu)).abs() < 1e-12, "{big}");
        assert!(tolerance(Precision::F16, 4096, 16) > tolerance(Precision::F16, 4096, 8));
        assert!(tolerance(Precision::F32, 400_000, 1) > big);
    }

    #[test]
    fn checked_cells_include_the_corners_and_stay_inside() {
        let cells = sampled(3, 5);
        assert!(cells.contains(&(0, 0)) && cells.contains(&(2, 4)) && cells.contains(&(2, 0)));
        assert_eq!(cells.len(), 15);
        let big = sampled(2048, 4096);
        assert!(big.len() <= CHECKED && big.iter().all(|&(i, j)| i < 2048 && j < 4096));
    }
}
