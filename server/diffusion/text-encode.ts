/** Runs a model's text encoder on 77 token ids: the hidden states [1, 77, D] and, when the model has it, the pooled output. */
import { Tensor } from "../../core/node/values";
import type { RuntimeServices } from "../runtime/services";

export async function encodeTokenIds(
  services: RuntimeServices,
  modelId: string,
  ids: readonly number[],
): Promise<{ hidden: Tensor; pooled?: Tensor }> {
  const encoder = await services.session(modelId, "text_encoder");
  const inputName = encoder.inputs[0]?.name ?? "input_ids";
  const out = await encoder.run({ [inputName]: { dims: [1, ids.length], data: Int32Array.from(ids) } });
  const hidden = out.last_hidden_state ?? out[encoder.outputNames[0]];
  if (hidden?.dims.length !== 3)
    throw new Error(`${modelId}/text_encoder returned no [1, ${ids.length}, D] last_hidden_state`);
  const pooled = out.pooler_output ? new Tensor(out.pooler_output.dims, out.pooler_output.data) : undefined;
  return { hidden: new Tensor(hidden.dims, hidden.data), pooled };
}
