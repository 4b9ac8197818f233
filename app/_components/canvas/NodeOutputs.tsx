"use client";
import { artifactUrl } from "@/app/_lib/artifacts";
/**
 * What a run left on a node: the live latent preview (U-Net step), the final images with the seed each
 * was made from (Save/Preview Image), and the seeds a Noise node used.
 */
import { useEditorContext, useNodeRun } from "@/app/_lib/editor-context";

export function LivePreview({ nodeId }: { nodeId: string }) {
  const run = useNodeRun(nodeId);
  if (!run?.preview) return null;
  return (
    <figure className="pf-node__preview" data-testid="latent-preview">
      {/* biome-ignore lint/performance/noImgElement: a data: URL updated every step */}
      <img src={run.preview} alt="Live latent preview" className="pf-pixelated" width={128} height={128} />
      {run.status === "running" && <figcaption className="pf-muted">live preview</figcaption>}
    </figure>
  );
}

export function OutputImages({ nodeId }: { nodeId: string }) {
  const run = useNodeRun(nodeId);
  const { actions, readOnly } = useEditorContext();
  const images = run?.files?.filter((f) => f.kind === "image") ?? [];
  if (images.length === 0) return <p className="pf-muted pf-node__note">Run the graph to see images here.</p>;
  return (
    <div className="pf-node__images">
      {images.map((f) => (
        <figure key={f.artifactId ?? f.path} className="pf-node__image" data-testid="output-image">
          <a href={artifactUrl(f)} target="_blank" rel="noreferrer" className="nodrag">
            {/* biome-ignore lint/performance/noImgElement: run artifacts served by our API */}
            <img
              // A live run's small image comes inline with its event: shown without another request.
              src={f.inline ?? artifactUrl(f)}
              alt={`Result${f.seed ? ` for seed ${f.seed}` : ""}`}
              className="pf-pixelated"
              width={160}
              height={160}
            />
          </a>
          <figcaption>
            {f.seed !== undefined && (
              <>
                <span data-testid="result-seed">seed {f.seed}</span>
                {!readOnly && (
                  <button
                    type="button"
                    className="pf-link-button nodrag"
                    onClick={() => actions.applySeed(f.seed!)}
                  >
                    use this seed
                  </button>
                )}
              </>
            )}
          </figcaption>
        </figure>
      ))}
    </div>
  );
}

export function SeedsUsed({ nodeId }: { nodeId: string }) {
  const run = useNodeRun(nodeId);
  if (!run?.seeds?.length) return null;
  return (
    <p className="pf-muted pf-node__note" data-testid="seeds-used">
      last run used seed{run.seeds.length > 1 ? "s" : ""} {run.seeds.join(", ")}
    </p>
  );
}
