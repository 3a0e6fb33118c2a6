// Runs an ONNX model converted by depickle in ONNX Runtime (npm onnxruntime-node).
// Usage: node run_onnx.js MODEL.onnx '[[x11, x12, ...], [x21, ...]]'
// Prints every output (label, probabilities or variable) as JSON.
// null in the rows stands for a missing value (NaN).
const path = require('path');
const ort = require(process.env.ONNXRUNTIME_NODE ||
                    path.join(__dirname, '../../tests/node/node_modules/onnxruntime-node'));

async function main() {
  const [model, rowsJson] = process.argv.slice(2);
  const rows = JSON.parse(rowsJson);
  const session = await ort.InferenceSession.create(model);
  const data = Float32Array.from(rows.flat().map((v) => (v === null ? NaN : v)));
  const feeds = {X: new ort.Tensor('float32', data, [rows.length, rows[0].length])};
  const results = await session.run(feeds);
  const out = {};
  for (const [name, tensor] of Object.entries(results)) {
    const values = Array.from(tensor.data, (v) => (typeof v === 'bigint' ? Number(v) : v));
    const width = tensor.dims.length === 2 ? tensor.dims[1] : 1;
    out[name] = width === 1 && tensor.dims.length === 1 ? values
        : Array.from({length: rows.length}, (_, i) => values.slice(i * width, (i + 1) * width));
  }
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error('run_onnx: ' + e.message);
  process.exit(1);
});
