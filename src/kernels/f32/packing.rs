//! Convolution weights repacked once at load time for the SIMD GEMM micro-kernels.
//!
//! A GEMM tile computes a few pixels × 16 output channels; for every reduction step it needs the 16 weights of that
//! step side by side. So the OHWI filter (`[out_c][k]`, `k = kernel_h·kernel_w·in_c` in TFLite's tap order) is
//! transposed into *panels* of 8 output channels, and panels are stored two by two: a pair of panels is `k` rows of
//! 16 contiguous floats (panel `2q` then panel `2q+1`), read front to back by the kernel with one address. An odd
//! last panel is stored alone (`k` rows of 8). The last panel and the bias are zero-padded to 8 columns, so the
//! kernel never needs a ragged load.

/// Output channels per packed panel (two `f32x4` registers).
pub const PANEL_WIDTH: usize = 8;

/// A convolution's weights and bias in panel order. Build with [`PackedGemm::from_ohwi`].
#[derive(Debug, Clone, PartialEq)]
pub struct PackedGemm {
    k: usize,
    n: usize,
    /// `ceil(n / 8) / 2` pairs of `k × 16` floats, then an odd last panel of `k × 8`.
    data: Vec<f32>,
    /// `n` biases, zero-padded to a multiple of 8.
    bias: Vec<f32>,
}

impl PackedGemm {
    /// Pack an OHWI filter (`n` rows of `k` weights; `filter.len() == n * k`) and its bias (`n` entries, or empty
    /// for none). Returns `None` if the lengths disagree.
    pub fn from_ohwi(filter: &[f32], bias: &[f32], n: usize, k: usize) -> Option<PackedGemm> {
        if n == 0 || k == 0 || filter.len() != n.checked_mul(k)? || !(bias.is_empty() || bias.len() == n) {
            return None;
        }
        let panel_count = n.div_ceil(PANEL_WIDTH);
        let mut padded_bias = vec![0.0; panel_count * PANEL_WIDTH];
        padded_bias[..bias.len()].copy_from_slice(bias);
        let data = vec![0.0; panel_count * k * PANEL_WIDTH];
        let mut packed = PackedGemm { k, n, data, bias: padded_bias };
        for (oc, row) in filter.chunks_exact(k).enumerate() {
            for (kk, &w) in row.iter().enumerate() {
                let at = packed.index(kk, oc);
                packed.data[at] = w;
            }
        }
        Some(packed)
    }

    /// Where weight (`kk`, column `j`) lives in `data`.
    fn index(&self, kk: usize, j: usize) -> usize {
        let (panel, lane) = (j / PANEL_WIDTH, j % PANEL_WIDTH);
        let (block, width) = (panel / 2, self.block_width(panel));
        block * 2 * self.k * PANEL_WIDTH + kk * width * PANEL_WIDTH + (panel % 2) * PANEL_WIDTH + lane
    }

    /// Panels stored together with `panel` (2 for a pair, 1 for an odd last panel).
    fn block_width(&self, panel: usize) -> usize {
        if panel / 2 < self.pair_count() {
            2
        } else {
            1
        }
    }

    /// Reduction length (`kernel_h·kernel_w·in_c`).
    pub fn k(&self) -> usize {
        self.k
    }

    /// Output channels.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Panels of 8 output channels (the last one zero-padded).
    pub fn panel_count(&self) -> usize {
        self.bias.len() / PANEL_WIDTH
    }

    /// Panel pairs (`panel_count() / 2`).
    pub fn pair_count(&self) -> usize {
        self.panel_count() / 2
    }

    /// Units of 16 output channels that can be computed on their own: each panel pair, then an odd last panel
    /// (which holds the last `n mod 16 ≤ 8` channels). `ceil(n / 16)`.
    pub fn channel_units(&self) -> usize {
        self.panel_count().div_ceil(2)
    }

    /// Panels `2q` and `2q+1`: `k` rows of 16 weights.
    pub fn pair(&self, q: usize) -> &[f32] {
        &self.data[q * 2 * self.k * PANEL_WIDTH..][..2 * self.k * PANEL_WIDTH]
    }

    /// The last panel when the panel count is odd: `k` rows of 8 weights.
    pub fn odd_panel(&self) -> Option<&[f32]> {
        let start = self.pair_count() * 2 * self.k * PANEL_WIDTH;
        (self.panel_count() % 2 == 1).then(|| &self.data[start..][..self.k * PANEL_WIDTH])
    }

    /// The 8 (padded) biases of panel `p`.
    pub fn panel_bias(&self, p: usize) -> &[f32] {
        &self.bias[p * PANEL_WIDTH..][..PANEL_WIDTH]
    }

    /// The packed weight for reduction index `kk` and output channel `j` (0 in the last panel's padding): the
    /// layout's inverse.
    pub fn weight(&self, kk: usize, j: usize) -> f32 {
        self.data[self.index(kk, j)]
    }
}
