//! The bandwidth kernels: the kernel table (arrays read and written, hence
//! the words counted per element), the instruction sets, and one pass of a
//! kernel over a chunk of the arrays, dispatched to the instruction set.

mod portable;
#[cfg(target_arch = "x86_64")]
mod x86_64;

/// Index of array `a` in [`Chunk`] and the array tables.
pub const A: usize = 0;
/// Index of array `b`.
pub const B: usize = 1;
/// Index of array `c`.
pub const C: usize = 2;
/// The names of the arrays, by index.
pub const ARRAY_NAMES: [&str; 3] = ["a", "b", "c"];

/// A kernel: one pass streams over its arrays once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKernel {
    /// `c = a`
    Copy,
    /// `b = s*c`
    Scale,
    /// `c = a + b`
    Add,
    /// `a = b + s*c`
    Triad,
    /// `sum += a`
    Read,
    /// `a = v` (a new value each pass)
    Write,
    /// `a = v` with non-temporal stores
    NtWrite,
    /// `c = a` with non-temporal stores
    NtCopy,
}

/// Written as its name, the param value.
impl serde::Serialize for StreamKernel {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.spec().name)
    }
}

/// A row of the kernel table.
#[derive(Debug)]
pub struct KernelSpec {
    /// The kernel.
    pub kernel: StreamKernel,
    /// Its name in params and records.
    pub name: &'static str,
    /// What one element of a pass does.
    pub formula: &'static str,
    /// Arrays read (indices into [`ARRAY_NAMES`]).
    pub reads: &'static [usize],
    /// Arrays written.
    pub writes: &'static [usize],
    /// Stores bypass the caches (x86 `*_stream_pd` + `sfence`).
    pub nontemporal: bool,
}

impl KernelSpec {
    /// Words of 8 bytes counted per element: STREAM's logical traffic, one
    /// per array read plus one per array written (read-for-ownership
    /// traffic of regular stores is not counted).
    pub fn words(&self) -> u64 {
        (self.reads.len() + self.writes.len()) as u64
    }

    /// Every array the kernel touches, ascending.
    pub fn arrays(&self) -> Vec<usize> {
        let mut all: Vec<usize> = self.reads.iter().chain(self.writes).copied().collect();
        all.sort_unstable();
        all.dedup();
        all
    }

    /// The array whose values show the kernel's work: the one it writes,
    /// else the one it reads.
    pub fn result_array(&self) -> usize {
        self.writes.first().or(self.reads.first()).copied().unwrap_or(A)
    }
}

/// The kernel table (BabelStream style): everything about a kernel that
/// is data.
pub const KERNELS: &[KernelSpec] = &[
    KernelSpec {
        kernel: StreamKernel::Copy,
        name: "copy",
        formula: "c = a",
        reads: &[A],
        writes: &[C],
        nontemporal: false,
    },
    KernelSpec {
        kernel: StreamKernel::Scale,
        name: "scale",
        formula: "b = s*c",
        reads: &[C],
        writes: &[B],
        nontemporal: false,
    },
    KernelSpec {
        kernel: StreamKernel::Add,
        name: "add",
        formula: "c = a + b",
        reads: &[A, B],
        writes: &[C],
        nontemporal: false,
    },
    KernelSpec {
        kernel: StreamKernel::Triad,
        name: "triad",
        formula: "a = b + s*c",
        reads: &[B, C],
        writes: &[A],
        nontemporal: false,
    },
    KernelSpec {
        kernel: StreamKernel::Read,
        name: "read",
        formula: "sum += a",
        reads: &[A],
        writes: &[],
        nontemporal: false,
    },
    KernelSpec {
        kernel: StreamKernel::Write,
        name: "write",
        formula: "a = v",
        reads: &[],
        writes: &[A],
        nontemporal: false,
    },
    KernelSpec {
        kernel: StreamKernel::NtWrite,
        name: "nt_write",
        formula: "a = v (non-temporal stores)",
        reads: &[],
        writes: &[A],
        nontemporal: true,
    },
    KernelSpec {
        kernel: StreamKernel::NtCopy,
        name: "nt_copy",
        formula: "c = a (non-temporal stores)",
        reads: &[A],
        writes: &[C],
        nontemporal: true,
    },
];

/// The four STREAM kernels, selected together by `kernel=stream`.
pub const STREAM: [StreamKernel; 4] = [StreamKernel::Copy, StreamKernel::Scale, StreamKernel::Add, StreamKernel::Triad];

/// Values of the `kernel` param: every kernel name, `stream` and `all`.
pub const CHOICES: &[&str] =
    &["all", "stream", "copy", "scale", "add", "triad", "read", "write", "nt_write", "nt_copy"];

impl StreamKernel {
    /// The kernel's table row.
    pub fn spec(self) -> &'static KernelSpec {
        // The table lists the kernels in declaration order (tested).
        &KERNELS[self as usize]
    }

    /// The kernel of this name.
    pub fn from_name(name: &str) -> Option<StreamKernel> {
        KERNELS.iter().find(|k| k.name == name).map(|k| k.kernel)
    }
}

/// Kernels selected by a `kernel` param value: one, `stream` or `all`.
pub fn select(choice: &str) -> Option<Vec<StreamKernel>> {
    match choice {
        "all" => Some(KERNELS.iter().map(|k| k.kernel).collect()),
        "stream" => Some(STREAM.to_vec()),
        name => StreamKernel::from_name(name).map(|k| vec![k]),
    }
}

/// Values of the `isa` param: `auto` or an instruction set's name.
pub const ISA_CHOICES: &[&str] = &["auto", "avx512", "avx2", "sse2", "portable"];

/// An instruction set the kernels are built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isa {
    /// x86-64 AVX-512F: 64-byte vectors.
    Avx512,
    /// x86-64 AVX2: 32-byte vectors.
    Avx2,
    /// x86-64 SSE2: 16-byte vectors (every x86-64 CPU).
    Sse2,
    /// Plain Rust loops the compiler vectorizes; no non-temporal stores.
    Portable,
}

impl Isa {
    /// Its name in records.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Avx512 => "avx512",
            Isa::Avx2 => "avx2",
            Isa::Sse2 => "sse2",
            Isa::Portable => "portable",
        }
    }

    /// Every instruction set this CPU runs, widest first.
    pub fn available() -> Vec<Isa> {
        let mut isas = Vec::new();
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                isas.push(Isa::Avx512);
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                isas.push(Isa::Avx2);
            }
            isas.push(Isa::Sse2);
        }
        isas.push(Isa::Portable);
        isas
    }

    /// The instruction set of this name, if this CPU runs it.
    pub fn available_named(name: &str) -> Option<Isa> {
        Isa::available().into_iter().find(|i| i.name() == name)
    }

    /// The instruction sets `isa=auto` tries for `kernel`: every vector
    /// instruction set this CPU runs that can run it, else the portable
    /// loops when they can. Empty when nothing here can run the kernel.
    pub fn candidates(kernel: StreamKernel) -> Vec<Isa> {
        let able: Vec<Isa> = Isa::available().into_iter().filter(|i| i.unsupported(kernel).is_none()).collect();
        match able.iter().any(|&i| i != Isa::Portable) {
            true => able.into_iter().filter(|&i| i != Isa::Portable).collect(),
            false => able,
        }
    }

    /// Why `kernel` cannot run with this instruction set, if it cannot.
    pub fn unsupported(self, kernel: StreamKernel) -> Option<String> {
        (kernel.spec().nontemporal && self == Isa::Portable)
            .then(|| format!("no non-temporal store path on {}", std::env::consts::ARCH))
    }
}

/// One thread's share of the arrays: `len` elements from each pointer.
/// Arrays a kernel does not touch may be null.
#[derive(Debug, Clone, Copy)]
pub struct Chunk {
    /// Start of the thread's part of a, b and c.
    pub arrays: [*mut f64; 3],
    /// Elements in each part.
    pub len: usize,
}

impl Chunk {
    /// The chunk without its first `n` elements.
    pub fn skip(self, n: usize) -> Chunk {
        let n = n.min(self.len);
        Chunk { arrays: self.arrays.map(|p| p.wrapping_add(n)), len: self.len - n }
    }
}

/// What a pass computes with: the scalar `s` and the value `write` fills in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Operands {
    /// STREAM's scalar for scale and triad.
    pub scalar: f64,
    /// The value write and nt_write store.
    pub fill: f64,
}

/// Runs one pass of `kernel` over `chunk`; returns the sum for `read`, else 0.
///
/// # Safety
/// The arrays `kernel` touches must be valid for `chunk.len` elements,
/// 64-byte aligned, and not touched by anyone else during the pass;
/// `isa` must be one of [`Isa::available`]. With [`Isa::Portable`] the
/// non-temporal kernels use regular stores: callers check [`Isa::unsupported`].
pub unsafe fn pass(isa: Isa, kernel: StreamKernel, chunk: Chunk, ops: Operands) -> f64 {
    match isa {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => x86_64::avx512::pass(kernel, chunk, ops),
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => x86_64::avx2::pass(kernel, chunk, ops),
        #[cfg(target_arch = "x86_64")]
        Isa::Sse2 => x86_64::sse2::pass(kernel, chunk, ops),
        _ => portable::pass(kernel, chunk, ops),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_counts_stream_words() {
        let words: Vec<(&str, u64)> = KERNELS.iter().map(|k| (k.name, k.words())).collect();
        assert_eq!(
            words,
            [
                ("copy", 2),
                ("scale", 2),
                ("add", 3),
                ("triad", 3),
                ("read", 1),
                ("write", 1),
                ("nt_write", 1),
                ("nt_copy", 2)
            ]
        );
        for k in KERNELS {
            assert_eq!(k.kernel.spec().name, k.name);
            assert!(CHOICES.contains(&k.name));
        }
        assert_eq!(CHOICES.len(), KERNELS.len() + 2);
    }

    #[test]
    fn every_isa_has_a_choice_and_auto_tries_only_what_can_run() {
        for isa in [Isa::Avx512, Isa::Avx2, Isa::Sse2, Isa::Portable] {
            assert!(ISA_CHOICES.contains(&isa.name()));
        }
        for k in KERNELS {
            let tried = Isa::candidates(k.kernel);
            assert!(tried.iter().all(|i| i.unsupported(k.kernel).is_none() && Isa::available().contains(i)));
            #[cfg(target_arch = "x86_64")]
            assert!(!tried.is_empty() && !tried.contains(&Isa::Portable), "{}: {tried:?}", k.name);
        }
        assert_eq!(Isa::available_named("portable"), Some(Isa::Portable));
        assert_eq!(Isa::available_named("auto"), None);
    }

    #[test]
    fn choices_select_kernels() {
        assert_eq!(select("all").unwrap().len(), KERNELS.len());
        assert_eq!(select("stream").unwrap(), STREAM);
        assert_eq!(select("triad").unwrap(), [StreamKernel::Triad]);
        assert!(select("dot").is_none());
        assert_eq!(StreamKernel::Triad.spec().result_array(), A);
        assert_eq!(StreamKernel::Read.spec().result_array(), A);
        assert_eq!(StreamKernel::Add.spec().arrays(), [A, B, C]);
    }
}
