//! Convolution weights repacked once at load time for the SIMD GEMM micro-kernels.
//!
//! A GEMM tile computes `MR` pixels × 8 output channels; for every reduction step it needs the 8 weights of that
//! step side by side. So the OHWI filter (`[out_c][k]`, `k = kernel_h·kernel_w·in_c` in TFLite's tap order) is
//! transposed into panels of 8 output channels, each panel `k` rows of 8 contiguous floats, read front to back
//! by the kernel. The last panel and the bias are zero-padded to 8, so the kernel never needs a ragged load.

/// Output channels per packed panel (two `f32x4` registers).
pub const PANEL_WIDTH: usize = 8;

/// A convolution's weights and bias in panel order. Build with [`PackedGemm::from_ohwi`].
#[derive(Debug, Clone, PartialEq)]
pub struct PackedGemm {
    k: usize,
    n: usize,
    /// `ceil(n / 8)` panels of `k × 8` floats.
    panels: Vec<f32>,
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
        let mut panels = vec![0.0; panel_count * k * PANEL_WIDTH];
        for (oc, row) in filter.chunks_exact(k).enumerate() {
            let (panel, lane) = (oc / PANEL_WIDTH, oc % PANEL_WIDTH);
            let dst = &mut panels[panel * k * PANEL_WIDTH..][..k * PANEL_WIDTH];
            for (kk, &w) in row.iter().enumerate() {
                dst[kk * PANEL_WIDTH + lane] = w;
            }
        }
        let mut padded_bias = vec![0.0; panel_count * PANEL_WIDTH];
        padded_bias[..bias.len()].copy_from_slice(bias);
        Some(PackedGemm { k, n, panels, bias: padded_bias })
    }

    /// Reduction length (`kernel_h·kernel_w·in_c`).
    pub fn k(&self) -> usize {
        self.k
    }

    /// Output channels.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Panel `p`: `k` rows of 8 weights.
    pub fn panel(&self, p: usize) -> &[f32] {
        &self.panels[p * self.k * PANEL_WIDTH..][..self.k * PANEL_WIDTH]
    }

    /// The 8 (padded) biases of panel `p`.
    pub fn panel_bias(&self, p: usize) -> &[f32] {
        &self.bias[p * PANEL_WIDTH..][..PANEL_WIDTH]
    }

    pub fn panel_count(&self) -> usize {
        self.bias.len() / PANEL_WIDTH
    }
}
