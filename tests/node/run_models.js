#!/usr/bin/env node
'use strict';
/*
 * Runs ONNX models with ONNX Runtime (onnxruntime-node, CPU) in one process, for
 * depickle's integration tests (tests/integration/onnx_test.py).
 *
 * Usage: node tests/node/run_models.js JOBS.json
 *
 * JOBS.json: [{"model": "/abs/m.onnx",
 *              "inputs": {"X": {"type": "float32"|"float64", "shape": [N, F],
 *                               "file": "/abs/x.bin"}},
 *              "out": "/abs/result.json"}, ...]
 * Input files hold raw little-endian arrays in C order.
 *
 * For each job, writes `out`:
 *   {"outputs": {name: {"type": ..., "dims": [...], "data": [...]}},
 *    "input_names": [...], "output_names": [...], "skipped": [...]}
 * Only tensor outputs are fetched: the Node binding cannot return sequences or
 * maps (ZipMap), so those are listed under "skipped". int64/uint64 values become
 * JSON numbers when they are safe integers and decimal strings otherwise; float
 * NaN/Inf become "nan"/"inf"/"-inf". On any error the file is {"error": "..."}
 * and the next job runs. Exit status: 0, or 1 if JOBS.json cannot be read/parsed,
 * 2 on a usage error.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');

const ort = require(path.join(__dirname, 'node_modules', 'onnxruntime-node'));

const INPUT_TYPES = {
  float32: {bytes: 4, make: (ab) => new Float32Array(ab), get: (dv, o) => dv.getFloat32(o, true)},
  float64: {bytes: 8, make: (ab) => new Float64Array(ab), get: (dv, o) => dv.getFloat64(o, true)},
};

function readInput(name, spec) {
  const t = INPUT_TYPES[spec.type];
  if (!t) throw new Error(`input ${name}: unsupported type ${JSON.stringify(spec.type)}`);
  if (!Array.isArray(spec.shape) || !spec.shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`input ${name}: bad shape ${JSON.stringify(spec.shape)}`);
  }
  const count = spec.shape.reduce((a, b) => a * b, 1);
  const buf = fs.readFileSync(spec.file);
  if (buf.length !== count * t.bytes) {
    throw new Error(`input ${name}: ${spec.file} has ${buf.length} bytes, ` +
                    `expected ${count * t.bytes} for ${spec.type} ${JSON.stringify(spec.shape)}`);
  }
  let data;
  if (os.endianness() === 'LE') {
    // slice() copies into a fresh, aligned ArrayBuffer (a Buffer may sit at any offset of a pool).
    data = t.make(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
  } else {
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.length);
    data = t.make(new ArrayBuffer(count * t.bytes));
    for (let i = 0; i < count; i++) data[i] = t.get(dv, i * t.bytes);
  }
  return new ort.Tensor(spec.type, data, spec.shape);
}

function encodeFloat(v) {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return v;
}

function encodeBig(v) {
  // BigInt from BigInt64Array / BigUint64Array.
  const n = Number(v);
  return Number.isSafeInteger(n) && BigInt(n) === v ? n : v.toString();
}

function encodeTensor(t) {
  const type = t.type;
  const data = t.data;
  let out;
  switch (type) {
    case 'float32':
    case 'float64':
    case 'float16':
      out = Array.from(data, (v) => encodeFloat(Number(v)));
      break;
    case 'int64':
    case 'uint64':
      out = Array.from(data, encodeBig);
      break;
    case 'bool':
      out = Array.from(data, (v) => Boolean(v));
      break;
    case 'string':
      out = Array.from(data, (v) => String(v));
      break;
    default:  // int8/uint8/int16/uint16/int32/uint32...
      out = Array.from(data, (v) => (typeof v === 'bigint' ? encodeBig(v) : Number(v)));
  }
  return {type, dims: Array.from(t.dims, Number), data: out};
}

async function runJob(job) {
  if (!job || typeof job.model !== 'string') throw new Error('job has no "model"');
  const session = await ort.InferenceSession.create(job.model, {
    logSeverityLevel: 3,  // errors only; keeps warnings out of the test log
  });
  try {
    const feeds = {};
    for (const [name, spec] of Object.entries(job.inputs || {})) feeds[name] = readInput(name, spec);
    const meta = session.outputMetadata || [];
    const tensorNames = [];
    const skipped = [];
    for (const name of session.outputNames) {
      const m = meta.find((x) => x.name === name);
      if (m && m.isTensor === false) skipped.push(name);
      else tensorNames.push(name);
    }
    const outputs = {};
    if (tensorNames.length > 0) {
      const results = await session.run(feeds, tensorNames);
      for (const name of tensorNames) {
        const v = results[name];
        if (v === undefined || v === null || !('dims' in v) || !('data' in v)) {
          skipped.push(name);
          continue;
        }
        outputs[name] = encodeTensor(v);
        if (typeof v.dispose === 'function') v.dispose();
      }
    }
    return {
      outputs,
      input_names: Array.from(session.inputNames),
      output_names: Array.from(session.outputNames),
      skipped,
    };
  } finally {
    if (typeof session.release === 'function') await session.release();
  }
}

function writeResult(file, obj) {
  fs.writeFileSync(file, JSON.stringify(obj));
}

async function main() {
  const args = process.argv.slice(2);
  if (args.length !== 1) {
    process.stderr.write('usage: node run_models.js JOBS.json\n');
    return 2;
  }
  let jobs;
  try {
    jobs = JSON.parse(fs.readFileSync(args[0], 'utf8'));
    if (!Array.isArray(jobs)) throw new Error('not a JSON array');
  } catch (e) {
    process.stderr.write(`run_models: cannot read ${args[0]}: ${e.message}\n`);
    return 1;
  }
  for (const job of jobs) {
    let result;
    try {
      result = await runJob(job);
    } catch (e) {
      result = {error: String(e && e.message ? e.message : e)};
    }
    try {
      if (!job || typeof job.out !== 'string') throw new Error('job has no "out"');
      writeResult(job.out, result);
    } catch (e) {
      process.stderr.write(`run_models: cannot write result for ${job && job.model}: ${e.message}\n`);
    }
  }
  return 0;
}

main().then((code) => { process.exitCode = code; },
            (e) => { process.stderr.write(`run_models: ${e.stack || e}\n`); process.exitCode = 70; });
