/**
 * onnxruntime-node (1.30) ships telemetry that, unless told otherwise, writes a device id and an event
 * database under ~/.cache/Microsoft/DeveloperTools/.onnxruntime, a /tmp/mat-debug-<pid>.log per process,
 * and attempts HTTPS uploads wherever it finds a CA bundle — from the thread that runs the model. Petalflow is offline-first and
 * promises nothing leaves the host, so it is off unless the user sets ORT_DISABLE_TELEMETRY themselves.
 * The variable is read when the first session creates onnxruntime's environment, so every module that
 * creates sessions imports this one first.
 */
process.env.ORT_DISABLE_TELEMETRY ??= "1";
