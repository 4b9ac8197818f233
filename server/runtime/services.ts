/**
 * What node implementations get from their host (CLI or server): models, ONNX sessions, where to put
 * files, and the limits to enforce. The executor passes it through untouched.
 */

import type { FileOutput } from "../../core/run/events";
import type { ModelLibrary, ModelPart } from "../diffusion/models";
import type { OnnxModel, SessionCache } from "../diffusion/sessions";
import type { ClipTokenizer } from "../diffusion/tokenizer";

export interface SaveImageRequest {
  runId: string;
  nodeId: string;
  /** Index in the batch. */
  index: number;
  png: Uint8Array;
  width: number;
  height: number;
  seed?: string;
  prefix: string;
  /** Preview Image: shown, not kept in the library. */
  temporary: boolean;
}

export interface SaveLatentRequest {
  runId: string;
  nodeId: string;
  bytes: Uint8Array;
  prefix: string;
}

export interface ArtifactSink {
  saveImage(req: SaveImageRequest): Promise<FileOutput>;
  saveLatent(req: SaveLatentRequest): Promise<FileOutput>;
  /** Bytes of a latent file saved earlier (by name), for Load Latent. */
  readLatent(name: string): Promise<Uint8Array>;
  /** Bytes of an uploaded image (by name), for Load Image. */
  readUpload(name: string): Promise<Uint8Array>;
}

export interface RuntimeLimits {
  maxPixels: number;
  maxWork: number;
  maxUploadBytes: number;
}

export interface RuntimeServices {
  models: ModelLibrary;
  sessions: SessionCache;
  artifacts: ArtifactSink;
  limits: RuntimeLimits;
  /** The model's tokenizer (`tokenizer/`), or SDXL's second one (`tokenizer_2/`, which pads with "!"). */
  tokenizer(modelId: string, which?: "tokenizer" | "tokenizer_2"): Promise<ClipTokenizer>;
  /** The loaded ONNX session of one part of a model (from the session cache); a missing part is an error. */
  session(modelId: string, part: ModelPart): Promise<OnnxModel>;
}
