//! `.tflite` reading: flatbuffer bytes → validated [`Graph`]. Knows nothing about MobileNet; the recogniser in
//! `model/` decides whether a graph is one we can run.

mod graph;
mod reader;
mod schema;

pub use graph::*;
pub use reader::parse;
