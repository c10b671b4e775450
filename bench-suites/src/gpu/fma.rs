//! The multiply-add kernel of `gpu.compute`: its WGSL (from compute.wgsl),
//! its buffers, its operation count, and the host's check of its output.

use hwbench_probes::energy::Work;

use super::context::GpuContext;
use super::pass::{grid, Binding, Kernel};
use crate::error::BenchError;

/// Independent chains per invocation (covers an FMA latency of 4 cycles on
/// 2 pipes, and a GPU's dual issue).
pub const CHAINS: u32 = 8;
/// Steps of every chain per loop trip (unrolled).
pub const ROUNDS: u32 = 4;

const TEMPLATE: &str = include_str!("compute.wgsl");
/// Multiplier and addend of the float chains: x -> 0.75 x + 0.25 stays
/// near 1 (no overflow, no denormals) and keeps rounding error small.
const FLOAT_MUL: f32 = 0.75;
const FLOAT_ADD: f32 = 0.25;
/// Multiplier and addend of the integer chains (an LCG, wrapping).
const INT_MUL: i32 = 1_664_525;
const INT_ADD: i32 = 1_013_904_223;

/// The arithmetic type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    F32,
    F16,
    F64,
    I32,
}

impl Precision {
    /// Every precision, in the order records are made.
    pub const ALL: [Precision; 4] = [Precision::F32, Precision::F16, Precision::F64, Precision::I32];
    /// Their param values.
    pub const NAMES: [&'static str; 4] = ["f32", "f16", "f64", "i32"];

    /// The param value.
    pub fn name(self) -> &'static str {
        Self::NAMES[Self::ALL.iter().position(|p| *p == self).expect("listed")]
    }

    /// Parses a param value.
    pub fn parse(name: &str) -> Option<Self> {
        Self::NAMES.iter().position(|n| *n == name).map(|i| Self::ALL[i])
    }

    /// The device feature it needs, with wgpu's name for it.
    pub fn feature(self) -> Option<(wgpu::Features, &'static str)> {
        match self {
            Precision::F16 => Some((wgpu::Features::SHADER_F16, "shader-f16")),
            Precision::F64 => Some((wgpu::Features::SHADER_F64, "shader-f64")),
            _ => None,
        }
    }

    /// True for floating point.
    pub fn is_float(self) -> bool {
        self != Precision::I32
    }

    /// GFLOP/s, or GIOP/s for integers.
    pub fn unit(self) -> &'static str {
        if self.is_float() {
            "GFLOP/s"
        } else {
            "GIOP/s"
        }
    }

    /// The forms measured: fma() exists for floats only.
    pub fn forms(self) -> &'static [Form] {
        if self.is_float() {
            &[Form::Fma, Form::Mad]
        } else {
            &[Form::Mad]
        }
    }

    /// Relative error the host accepts on an invocation's sum.
    fn tolerance(self) -> f64 {
        match self {
            Precision::F16 => 1e-2,
            Precision::F32 | Precision::F64 => 1e-5,
            Precision::I32 => 0.0,
        }
    }
}

/// Values per chain: a scalar or a vec4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    Scalar,
    Vec4,
}

impl Width {
    /// Their param values.
    pub const NAMES: [&'static str; 2] = ["scalar", "vec4"];

    /// Parses a param value.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "scalar" => Some(Width::Scalar),
            "vec4" => Some(Width::Vec4),
            _ => None,
        }
    }

    /// Lanes per value.
    pub fn lanes(self) -> u32 {
        match self {
            Width::Scalar => 1,
            Width::Vec4 => 4,
        }
    }
}

/// How the multiply-add is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// `fma(x, a, b)`.
    Fma,
    /// `x * a + b` (the driver may or may not fuse it).
    Mad,
}

impl Form {
    /// Name used in metrics and info.
    pub fn name(self) -> &'static str {
        match self {
            Form::Fma => "fma",
            Form::Mad => "mad",
        }
    }

    fn step(self, x: &str) -> String {
        match self {
            Form::Fma => format!("fma({x}, a, b)"),
            Form::Mad => format!("{x} * a + b"),
        }
    }
}

/// What one kernel computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FmaSpec {
    pub precision: Precision,
    pub width: Width,
    pub form: Form,
    pub workgroup: u32,
}

impl FmaSpec {
    /// The WGSL source.
    pub fn source(&self) -> String {
        let s = self.precision.name();
        let vec4 = self.width == Width::Vec4;
        let t = if vec4 { format!("vec4<{s}>") } else { s.to_string() };
        let float = self.precision.is_float();
        let (a, b) = if float {
            (format!("{t}({s}(params.float_mul))"), format!("{t}({s}(params.float_add))"))
        } else {
            (format!("{t}(params.int_mul)"), format!("{t}(params.int_add)"))
        };
        let lanes = match (vec4, float) {
            (false, _) => String::new(),
            (true, true) => format!(" + vec4<{s}>({s}(0.0), {s}(0.03125), {s}(0.0625), {s}(0.09375))"),
            (true, false) => " + vec4<i32>(0, 1, 2, 3)".to_string(),
        };
        let init: Vec<String> = (0..CHAINS)
            .map(|k| {
                let start = if float {
                    format!("{s}(f32(id % 64u) / 64.0 + {:.4})", 1.0 + f64::from(k) / 8.0)
                } else {
                    format!("i32(id * {CHAINS}u + {k}u)")
                };
                format!("    var x{k} = {t}({start}){lanes};")
            })
            .collect();
        let body: Vec<String> = (0..ROUNDS)
            .flat_map(|_| (0..CHAINS).map(|k| format!("        x{k} = {};", self.form.step(&format!("x{k}")))))
            .collect();
        let wide = match (vec4, float) {
            (false, true) => "f32",
            (true, true) => "vec4<f32>",
            (false, false) => "i32",
            (true, false) => "vec4<i32>",
        };
        let sum = (0..CHAINS).map(|k| format!("{wide}(x{k})")).collect::<Vec<_>>().join(" + ");
        let store = if vec4 { "bitcast<u32>(s.x + s.y + s.z + s.w)" } else { "bitcast<u32>(s)" };
        TEMPLATE
            .replace("{{ENABLE}}", if self.precision == Precision::F16 { "enable f16;" } else { "" })
            .replace("{{CHAINS}}", &CHAINS.to_string())
            .replace("{{ROUNDS}}", &ROUNDS.to_string())
            .replace("{{FORM}}", &self.form.step("x"))
            .replace("{{WORKGROUP}}", &self.workgroup.to_string())
            .replace("{{A}}", &a)
            .replace("{{B}}", &b)
            .replace("{{INIT}}", &init.join("\n"))
            .replace("{{BODY}}", &body.join("\n"))
            .replace("{{SUM}}", &sum)
            .replace("{{STORE}}", store)
    }

    /// Operations per invocation per loop trip (a multiply-add counts 2).
    pub fn ops_per_trip(&self) -> f64 {
        f64::from(2 * self.width.lanes() * CHAINS * ROUNDS)
    }
}

/// The uniform block (matches `Params` in compute.wgsl).
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    trip: u32,
    int_mul: i32,
    int_add: i32,
    float_mul: f32,
    float_add: f32,
    _pad: [u32; 3],
}

/// One compiled multiply-add kernel with its buffers.
pub struct FmaKernel {
    /// What it computes.
    pub spec: FmaSpec,
    /// Invocations per dispatch.
    pub invocations: u32,
    capacity: u32,
    trip: u32,
    params: wgpu::Buffer,
    out: wgpu::Buffer,
    /// The pipeline and its bindings.
    pub kernel: Kernel,
}

impl FmaKernel {
    /// Compiles `spec` for up to `invocations` invocations per dispatch,
    /// all of them dispatched, with a trip count of 1.
    pub fn new(ctx: &GpuContext, spec: FmaSpec, invocations: u32) -> Result<Self, BenchError> {
        if let Some((feature, name)) = spec.precision.feature() {
            if !ctx.has(feature) {
                return Err(BenchError::Unavailable(format!(
                    "{}: {} arithmetic needs the {name} feature, which this adapter lacks",
                    ctx.adapter.name,
                    spec.precision.name()
                )));
            }
        }
        let module = ctx.shader("gpu.compute", &spec.source())?;
        let params = ctx.buffer(
            "gpu.compute params",
            std::mem::size_of::<Params>() as u64,
            wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        );
        let out = ctx.buffer(
            "gpu.compute out",
            u64::from(invocations) * 4,
            wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
        );
        let groups = grid(ctx, u64::from(invocations), spec.workgroup)?;
        let kernel = Kernel::new(ctx, &module, "main", &[Binding::Uniform(&params), Binding::Storage(&out)], groups)?;
        let mut k = FmaKernel { spec, invocations, capacity: invocations, trip: 0, params, out, kernel };
        k.set_trip(ctx, 1);
        Ok(k)
    }

    /// Sets the loop trip count for the next submissions.
    pub fn set_trip(&mut self, ctx: &GpuContext, trip: u32) {
        let p = Params {
            trip,
            int_mul: INT_MUL,
            int_add: INT_ADD,
            float_mul: FLOAT_MUL,
            float_add: FLOAT_ADD,
            _pad: [0; 3],
        };
        ctx.queue.write_buffer(&self.params, 0, bytemuck::bytes_of(&p));
        self.trip = trip;
    }

    /// Dispatches `invocations` invocations (at most the number built for).
    pub fn set_invocations(&mut self, ctx: &GpuContext, invocations: u32) -> Result<(), BenchError> {
        let invocations = invocations.min(self.capacity);
        self.kernel.groups = grid(ctx, u64::from(invocations), self.spec.workgroup)?;
        self.invocations = invocations;
        Ok(())
    }

    /// The current trip count.
    pub fn trip(&self) -> u32 {
        self.trip
    }

    /// Operations one dispatch performs at the current trip count.
    pub fn ops_per_dispatch(&self) -> f64 {
        self.spec.ops_per_trip() * f64::from(self.trip) * f64::from(self.invocations)
    }

    /// One dispatch's operations as work: FLOP, or IOP for integers.
    pub fn work_per_dispatch(&self) -> Work {
        Work { amount: self.ops_per_dispatch(), unit: if self.spec.precision.is_float() { "FLOP" } else { "IOP" } }
    }

    /// Reads the output and checks every invocation's sum against the host's
    /// closed form for the current trip count.
    pub fn validate(&self, ctx: &GpuContext) -> Result<(), BenchError> {
        let bytes = ctx.download(&self.out, u64::from(self.invocations) * 4)?;
        let words: &[u32] = bytemuck::cast_slice(&bytes);
        let steps = u64::from(self.trip) * u64::from(ROUNDS);
        let precision = self.spec.precision;
        let lanes = self.spec.width.lanes();
        for (id, &word) in (0u32..).zip(words) {
            let ok = if precision.is_float() {
                let got = f64::from(f32::from_bits(word));
                let want = float_gold(id, lanes, steps);
                ((got - want) / want).abs() <= precision.tolerance()
            } else {
                word as i32 == int_gold(id, lanes, steps)
            };
            if !ok {
                let want = if precision.is_float() {
                    float_gold(id, lanes, steps).to_string()
                } else {
                    int_gold(id, lanes, steps).to_string()
                };
                let got =
                    if precision.is_float() { f32::from_bits(word).to_string() } else { (word as i32).to_string() };
                return Err(BenchError::Failed(format!(
                    "{}: {} {}: invocation {id} stored {got}, expected {want} after {steps} steps",
                    ctx.adapter.name,
                    precision.name(),
                    self.spec.form.name()
                )));
            }
        }
        Ok(())
    }
}

/// Sum over chains and lanes of x after `steps` steps of x -> m x + c
/// (exact arithmetic: x_n = 1 + (x_0 - 1) m^n for the fixed point 1).
fn float_gold(id: u32, lanes: u32, steps: u64) -> f64 {
    let m = f64::from(FLOAT_MUL);
    let decay = m.powi(steps.min(i32::MAX as u64) as i32);
    let mut sum = 0.0;
    for k in 0..CHAINS {
        for l in 0..lanes {
            let x0 = f64::from(id % 64) / 64.0 + 1.0 + f64::from(k) / 8.0 + f64::from(l) * 0.03125;
            sum += 1.0 + (x0 - 1.0) * decay;
        }
    }
    sum
}

/// Sum (wrapping) over chains and lanes of x after `steps` wrapping steps
/// of x -> m x + c, by composing the affine map with itself (log steps).
fn int_gold(id: u32, lanes: u32, steps: u64) -> i32 {
    let (mut pm, mut pc) = (1i32, 0i32); // the map applied so far: x -> pm x + pc
    let (mut sm, mut sc) = (INT_MUL, INT_ADD); // the map squared i times
    let mut n = steps;
    while n > 0 {
        if n & 1 == 1 {
            (pm, pc) = (sm.wrapping_mul(pm), sm.wrapping_mul(pc).wrapping_add(sc));
        }
        (sm, sc) = (sm.wrapping_mul(sm), sm.wrapping_mul(sc).wrapping_add(sc));
        n >>= 1;
    }
    let mut sum = 0i32;
    for k in 0..CHAINS {
        for l in 0..lanes {
            let x0 = (id.wrapping_mul(CHAINS).wrapping_add(k) as i32).wrapping_add(l as i32);
            sum = sum.wrapping_add(pm.wrapping_mul(x0).wrapping_add(pc));
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_integer_closed_form_matches_stepping() {
        for steps in [0u64, 1, 2, 7, 64, 1000] {
            let mut sum = 0i32;
            for k in 0..CHAINS {
                for l in 0..4 {
                    let mut x = (5 * CHAINS + k) as i32 + l as i32;
                    for _ in 0..steps {
                        x = x.wrapping_mul(INT_MUL).wrapping_add(INT_ADD);
                    }
                    sum = sum.wrapping_add(x);
                }
            }
            assert_eq!(int_gold(5, 4, steps), sum, "{steps} steps");
        }
    }

    #[test]
    fn the_float_closed_form_matches_stepping() {
        for steps in [0u64, 1, 3, 40] {
            let mut sum = 0.0;
            for k in 0..CHAINS {
                let mut x = 9.0 / 64.0 + 1.0 + f64::from(k) / 8.0 + 0.03125;
                for _ in 0..steps {
                    x = x * f64::from(FLOAT_MUL) + f64::from(FLOAT_ADD);
                }
                sum += x;
            }
            let gold = float_gold(9, 2, steps) - float_gold(9, 1, steps);
            assert!((gold - sum).abs() < 1e-12, "{steps}: {gold} vs {sum}");
        }
    }

    #[test]
    fn the_source_has_every_chain_in_every_round_and_the_uniform_trip() {
        let spec = FmaSpec { precision: Precision::F16, width: Width::Vec4, form: Form::Fma, workgroup: 128 };
        let src = spec.source();
        assert!(src.starts_with("// Arithmetic") && src.contains("enable f16;"));
        for k in 0..CHAINS {
            assert_eq!(src.matches(&format!("x{k} = fma(x{k}, a, b);")).count() as u32, ROUNDS, "chain {k}");
        }
        assert!(src.contains("i < params.trip") && src.contains("@workgroup_size(128)"));
        assert!(!src.contains("{{"), "unfilled placeholder");
        assert_eq!(spec.ops_per_trip(), f64::from(2 * 4 * CHAINS * ROUNDS));
    }
}
