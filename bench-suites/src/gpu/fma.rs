//! The multiply-add pipeline of `gpu.compute`: its WGSL (from
//! compute.wgsl), its buffers, its operation count, and the host's check of
//! its output, which depends on the trip count: the float chains' addend
//! changes with the trip, so a dispatch that ran one trip fewer ends
//! elsewhere (the integer chains are exact and depend on every step).

use hwbench_probes::energy::Work;

use super::device::GpuDevice;
use super::pass::{grid, Binding, Pipeline};
use crate::error::BenchError;

/// Independent chains per invocation (covers an FMA latency of 4 cycles on
/// 2 pipes, and a GPU's dual issue).
pub const CHAINS: u32 = 8;
/// Steps of every chain per loop trip (unrolled).
pub const ROUNDS: u32 = 8;
/// Trips after which the float chains' addend repeats.
pub const ADDEND_PERIOD: u32 = 8;

const TEMPLATE: &str = include_str!("compute.wgsl");
/// Multiplier and addend of the float chains: in trip t, x -> 0.75 x + b_t
/// with b_t = 0.25 + (t mod 8) / 32. The contraction keeps x in [1, 2) (no
/// overflow, no denormals, small rounding error, every value exact in f16)
/// and the addend makes the end depend on the last trips run.
const FLOAT_MUL: f32 = 0.75;
const FLOAT_ADD: f32 = 0.25;
const FLOAT_STEP: f32 = 1.0 / 32.0;
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

/// Written as its param value.
impl serde::Serialize for Precision {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
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

    /// The param value.
    pub fn name(self) -> &'static str {
        match self {
            Width::Scalar => "scalar",
            Width::Vec4 => "vec4",
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

/// Written as its param value.
impl serde::Serialize for Width {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
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
        let a = if float { format!("{t}({s}(params.float_mul))") } else { format!("{t}(params.int_mul)") };
        // The float addend of this trip; the integer one is fixed.
        let (b_fixed, b_trip) = if float {
            let addend = format!("{t}({s}(fma(f32(i % {ADDEND_PERIOD}u), params.float_step, params.float_add)))");
            (String::new(), format!("        let b = {addend};"))
        } else {
            (format!("    let b = {t}(params.int_add);"), String::new())
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
            .replace("{{B_FIXED}}", &b_fixed)
            .replace("{{B_TRIP}}", &b_trip)
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

/// The uniform block (matches `Uniforms` in compute.wgsl).
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct FmaUniforms {
    trip: u32,
    int_mul: i32,
    int_add: i32,
    float_mul: f32,
    float_add: f32,
    float_step: f32,
    _pad: [u32; 2],
}

/// One compiled multiply-add pipeline with its buffers.
pub struct FmaPipeline {
    /// What it computes.
    pub spec: FmaSpec,
    /// Invocations per dispatch.
    pub invocations: u32,
    capacity: u32,
    trip: u32,
    params: wgpu::Buffer,
    out: wgpu::Buffer,
    /// The pipeline and its bindings.
    pub pipeline: Pipeline,
}

impl FmaPipeline {
    /// Compiles `spec` for up to `invocations` invocations per dispatch,
    /// all of them dispatched, with a trip count of 1.
    pub fn new(gpu: &GpuDevice, spec: FmaSpec, invocations: u32) -> Result<Self, BenchError> {
        if let Some((feature, name)) = spec.precision.feature() {
            if !gpu.has(feature) {
                return Err(BenchError::Unavailable(format!(
                    "{}: {} arithmetic needs the {name} feature, which this adapter lacks",
                    gpu.adapter.name,
                    spec.precision.name()
                )));
            }
        }
        let module = gpu.shader("gpu.compute", &spec.source())?;
        let params = gpu.buffer(
            "gpu.compute params",
            std::mem::size_of::<FmaUniforms>() as u64,
            wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        );
        let out = gpu.buffer(
            "gpu.compute out",
            u64::from(invocations) * 4,
            wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
        );
        let groups = grid(gpu, u64::from(invocations), spec.workgroup)?;
        let pipeline =
            Pipeline::new(gpu, &module, "main", &[Binding::Uniform(&params), Binding::Storage(&out)], groups)?;
        let mut k = FmaPipeline { spec, invocations, capacity: invocations, trip: 0, params, out, pipeline };
        k.set_trip(gpu, 1);
        Ok(k)
    }

    /// Sets the loop trip count for the next submissions.
    pub fn set_trip(&mut self, gpu: &GpuDevice, trip: u32) {
        let p = FmaUniforms {
            trip,
            int_mul: INT_MUL,
            int_add: INT_ADD,
            float_mul: FLOAT_MUL,
            float_add: FLOAT_ADD,
            float_step: FLOAT_STEP,
            _pad: [0; 2],
        };
        gpu.queue.write_buffer(&self.params, 0, bytemuck::bytes_of(&p));
        self.trip = trip;
    }

    /// Dispatches `invocations` invocations (at most the number built for).
    pub fn set_invocations(&mut self, gpu: &GpuDevice, invocations: u32) -> Result<(), BenchError> {
        let invocations = invocations.min(self.capacity);
        self.pipeline.groups = grid(gpu, u64::from(invocations), self.spec.workgroup)?;
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
    pub fn validate(&self, gpu: &GpuDevice) -> Result<(), BenchError> {
        self.validate_trips(gpu, self.trip)
    }

    /// Checks the output against the closed form after `trips` trips: a
    /// dispatch that ran any other number of trips (one fewer included)
    /// fails, for every precision.
    pub fn validate_trips(&self, gpu: &GpuDevice, trips: u32) -> Result<(), BenchError> {
        let bytes = gpu.download(&self.out, u64::from(self.invocations) * 4)?;
        let words: &[u32] = bytemuck::cast_slice(&bytes);
        let precision = self.spec.precision;
        let lanes = self.spec.width.lanes();
        let steps = u64::from(trips) * u64::from(ROUNDS);
        let addends = FloatAddends::after(trips);
        for (id, &word) in (0u32..).zip(words) {
            let ok = if precision.is_float() {
                let got = f64::from(f32::from_bits(word));
                let want = addends.gold(id, lanes);
                ((got - want) / want).abs() <= precision.tolerance()
            } else {
                word as i32 == int_gold(id, lanes, steps)
            };
            if !ok {
                let want = if precision.is_float() {
                    addends.gold(id, lanes).to_string()
                } else {
                    int_gold(id, lanes, steps).to_string()
                };
                let got =
                    if precision.is_float() { f32::from_bits(word).to_string() } else { (word as i32).to_string() };
                return Err(BenchError::Failed(format!(
                    "{}: {} {}: invocation {id} stored {got}, expected {want} after {trips} trips",
                    gpu.adapter.name,
                    precision.name(),
                    self.spec.form.name()
                )));
            }
        }
        Ok(())
    }
}

/// The float chains after some trips, in closed form: with A = m^R (R
/// rounds a trip) and g = 1 + m + ... + m^(R-1), a trip with addend b_t
/// maps x to A x + g b_t, so after n trips x_n = A^n x_0 + shift with
/// shift = g * sum over t < n of A^(n-1-t) b_t, the same for every chain.
struct FloatAddends {
    decay: f64,
    shift: f64,
}

impl FloatAddends {
    fn after(trips: u32) -> Self {
        let m = f64::from(FLOAT_MUL);
        let a = m.powi(ROUNDS as i32);
        let g = (1.0 - a) / (1.0 - m);
        let period = ADDEND_PERIOD as i32;
        let n = trips as i32;
        // Trips t = j, j + P, ... below n share b_j: a geometric series.
        let shift: f64 = (0..period.min(n))
            .map(|j| {
                let count = (n - j + period - 1) / period;
                let last = n - 1 - j - period * (count - 1);
                let series = a.powi(last) * (1.0 - a.powi(period * count)) / (1.0 - a.powi(period));
                let b = f64::from(FLOAT_ADD) + f64::from(j) * f64::from(FLOAT_STEP);
                g * b * series
            })
            .sum();
        FloatAddends { decay: a.powi(n), shift }
    }

    /// Sum over chains and lanes of invocation `id`'s values.
    fn gold(&self, id: u32, lanes: u32) -> f64 {
        let mut sum = 0.0;
        for k in 0..CHAINS {
            for l in 0..lanes {
                let x0 = f64::from(id % 64) / 64.0 + 1.0 + f64::from(k) / 8.0 + f64::from(l) * 0.03125;
                sum += x0 * self.decay + self.shift;
            }
        }
        sum
    }
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
                    let mut x = (5 * CHAINS + k) as i32 + l;
                    for _ in 0..steps {
                        x = x.wrapping_mul(INT_MUL).wrapping_add(INT_ADD);
                    }
                    sum = sum.wrapping_add(x);
                }
            }
            assert_eq!(int_gold(5, 4, steps), sum, "{steps} steps");
        }
    }

    /// Steps x -> m x + b_t exactly as the shader does, in f64.
    fn stepped(id: u32, lanes: u32, trips: u32) -> f64 {
        let mut sum = 0.0;
        for k in 0..CHAINS {
            for l in 0..lanes {
                let mut x = f64::from(id % 64) / 64.0 + 1.0 + f64::from(k) / 8.0 + f64::from(l) * 0.03125;
                for t in 0..trips {
                    let b = f64::from(FLOAT_ADD) + f64::from(t % ADDEND_PERIOD) * f64::from(FLOAT_STEP);
                    for _ in 0..ROUNDS {
                        x = x * f64::from(FLOAT_MUL) + b;
                    }
                }
                sum += x;
            }
        }
        sum
    }

    #[test]
    fn the_float_closed_form_matches_stepping() {
        for trips in [0u32, 1, 3, 8, 9, 40, 203] {
            let (gold, sum) = (FloatAddends::after(trips).gold(9, 2), stepped(9, 2, trips));
            assert!((gold - sum).abs() < 1e-12 * sum, "{trips}: {gold} vs {sum}");
        }
    }

    /// One trip fewer moves every float sum by far more than the widest
    /// tolerance (f16's), however many trips were asked for.
    #[test]
    fn one_trip_fewer_is_far_outside_every_tolerance() {
        for trips in [64u32, 65, 1000, 1 << 20, 1 << 24] {
            let (want, short) = (FloatAddends::after(trips).gold(3, 4), FloatAddends::after(trips - 1).gold(3, 4));
            let off = ((short - want) / want).abs();
            assert!(off > 2.0 * Precision::F16.tolerance(), "{trips} trips: one fewer is off by {off}");
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
        assert!(src.contains("i % 8u"), "the addend follows the trip");
        assert!(!src.contains("{{"), "unfilled placeholder");
        assert_eq!(spec.ops_per_trip(), f64::from(2 * 4 * CHAINS * ROUNDS));
    }
}
