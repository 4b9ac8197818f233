/**
 * ComfyUI interop in the editor, as a person uses it: import a ComfyUI workflow whose checkpoint is not
 * installed, with an unknown node type (LoraLoader) and sampler/scheduler names Petalflow lacks. The
 * graph opens; each problem is listed and shown on its node (the missing checkpoint on the Model
 * Loader's picker of installed models, the sampler on the Scheduler's field, the left-out node as a
 * note where it stood); picking a model clears that node's problem. Then export it as a ComfyUI
 * workflow from the Export menu.
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { Locator } from "@playwright/test";
import { encodePng } from "../../server/media/png";
import { expect, MODEL, screenshot, test } from "./fixtures";
import { clickAsPerson, hitTest } from "./pointer";

async function centreOf(target: Locator): Promise<[number, number]> {
  const b = await target.boundingBox();
  if (!b) throw new Error("not on screen");
  return [b.x + b.width / 2, b.y + b.height / 2];
}

test("a ComfyUI workflow opens with its problems on the nodes, and exports back as a ComfyUI workflow", async ({
  page,
  editor,
}) => {
  const wf = JSON.parse(readFileSync("tests/fixtures/comfy/ksampler-advanced.workflow.json", "utf8"));
  const loader = wf.nodes.find((n: { type: string }) => n.type === "CheckpointLoaderSimple");
  loader.widgets_values = ["sd_xl_base_1.0.safetensors"];
  const file = test.info().outputPath("split.comfyui.json");
  writeFileSync(file, JSON.stringify(wf));

  await page.goto("/");
  await expect(page.getByTestId("canvas")).toBeVisible();
  const chooser = page.waitForEvent("filechooser");
  await clickAsPerson(page, page.getByRole("button", { name: "Import", exact: true }));
  await (await chooser).setFiles(file);
  await expect(page).toHaveURL(/\/graphs\//, { timeout: 60_000 });

  // The report lists every problem with the ComfyUI node, type and field.
  const report = page.getByTestId("import-report");
  await expect(report).toBeVisible();
  await expect(report.getByRole("heading")).toContainText("ComfyUI workflow: 8 things to check");
  const items = report.getByTestId("import-problem");
  await expect(items).toHaveCount(8);
  await expect(report).toContainText(
    'node 4 (CheckpointLoaderSimple) · ckpt_name: checkpoint "sd_xl_base_1.0.safetensors" is not installed',
  );
  await expect(report).toContainText(
    'node 20 (LoraLoader): node type "LoraLoader" has no Petalflow equivalent',
  );
  await expect(report).toContainText(
    'node 16 (KSamplerAdvanced) · sampler_name: sampler "uni_pc" is not supported',
  );

  // The rest of the graph opened (the canvas draws only the nodes on screen, so ask the library):
  // both samplers' U-Net steps, schedules and noises, the encoders, the loader, the decoder, the saver.
  const graphId = /\/graphs\/([^/?#]+)/.exec(page.url())?.[1] ?? "";
  const types = await page.evaluate(async (id) => {
    const res = await fetch(`/api/trpc/graphs.get?input=${encodeURIComponent(JSON.stringify({ id }))}`);
    const doc = (await res.json()).result.data.headVersion.document as { nodes: { type: string }[] };
    return doc.nodes.map((n) => n.type).sort();
  }, graphId);
  expect(types).toEqual(
    [
      "empty-latent",
      "model-loader",
      "noise",
      "noise",
      "save-image",
      "scheduler",
      "scheduler",
      "text-encoder",
      "text-encoder",
      "unet-step",
      "unet-step",
      "vae-decode",
    ].sort(),
  );

  // "Show" centres the Scheduler that took the unsupported sampler: the problem is on its field.
  await clickAsPerson(
    page,
    report.getByRole("button", { name: "node 16 (KSamplerAdvanced) · sampler_name" }),
  );
  const schedule = page.locator('[data-testid="node"][data-node-id="c16.schedule"]');
  await expect(schedule).toBeVisible();
  const algorithm = schedule.getByTestId("widget-algorithm");
  await expect(algorithm).toHaveAttribute("data-invalid", "true");
  await expect(algorithm).toContainText('ComfyUI sampler_name: sampler "uni_pc" is not supported');
  await expect(schedule.getByTestId("widget-sigmaSchedule")).toContainText(
    'scheduler "beta" is not supported',
  );
  await expect
    .poll(async () => {
      const box = await schedule.locator("header").first().boundingBox();
      return box ? (await hitTest(schedule, box.x + box.width / 2, box.y + box.height / 2)).ok : false;
    })
    .toBe(true);

  // The left-out LoraLoader is a note where it stood, naming it and keeping its settings.
  await clickAsPerson(page, report.getByRole("button", { name: "node 20 (LoraLoader)" }));
  const note = page.locator('.react-flow__node[data-id="comfy-left-out-20"] textarea');
  await expect(note).toBeVisible();
  await expect(note).toHaveValue(/^⚠ ComfyUI node 20 .*\(LoraLoader\) was not brought over:/);
  await expect(note).toHaveValue(/Its settings: \[/);
  expect((await hitTest(note, ...(await centreOf(note)))).ok).toBe(true);

  // The missing checkpoint: on the Model Loader's picker, which lists the installed models; never replaced.
  await clickAsPerson(
    page,
    report.getByRole("button", { name: "node 4 (CheckpointLoaderSimple) · ckpt_name" }),
  );
  const modelLoader = page.locator('[data-testid="node"][data-node-id="c4"]');
  const model = modelLoader.getByTestId("widget-model");
  await expect(model).toContainText(
    'ComfyUI ckpt_name: checkpoint "sd_xl_base_1.0.safetensors" is not installed',
  );
  await expect(model.getByTestId("missing-model")).toContainText("sd_xl_base_1.0");
  const picker = model.locator("select");
  await expect(picker).toHaveValue("sd_xl_base_1.0");
  await expect(picker.locator("option", { hasText: MODEL })).toHaveCount(1);
  await screenshot(page, "comfy-import-problems");

  // Picking an installed model clears that node's import problem (the others stay on their nodes).
  await clickAsPerson(page, picker);
  await picker.selectOption(MODEL);
  await page.keyboard.press("Escape");
  await expect(model).not.toContainText("is not installed");
  // … and leaves the report; the others stay listed.
  await expect(items).toHaveCount(7);
  await expect(report).not.toContainText("CheckpointLoaderSimple");
  await clickAsPerson(
    page,
    report.getByRole("button", { name: "node 16 (KSamplerAdvanced) · sampler_name" }),
  );
  await expect(algorithm).toContainText('sampler "uni_pc" is not supported');

  // Export as a ComfyUI workflow from the Export menu.
  await clickAsPerson(page, page.getByRole("button", { name: "Export ▾" }));
  const download = page.waitForEvent("download");
  await clickAsPerson(page, page.getByRole("menuitem", { name: "ComfyUI workflow" }));
  const got = await download;
  expect(got.suggestedFilename()).toMatch(/\.comfyui-workflow\.json$/);
  const exported = JSON.parse(readFileSync(await got.path(), "utf8"));
  expect(exported.version).toBe(0.4);
  expect(exported.nodes.filter((n: { type: string }) => n.type === "KSamplerAdvanced")).toHaveLength(2);
  expect(
    exported.nodes.find((n: { type: string }) => n.type === "CheckpointLoaderSimple").widgets_values,
  ).toEqual([`${MODEL}.safetensors`]);
  await expect(editor.status).toContainText("Exported as a ComfyUI workflow");
  await screenshot(page, "comfy-export");

  // Dismissed, the report stays away after a reload.
  await clickAsPerson(page, report.getByRole("button", { name: "Dismiss the import report" }));
  await expect(report).toBeHidden();
  await page.reload();
  await expect(page.getByTestId("canvas")).toBeVisible();
  await expect(page.getByTestId("node").first()).toBeVisible();
  await expect(page.getByTestId("import-report")).toBeHidden();
});

test("a ComfyUI PNG dropped on the canvas opens its workflow, with the missing input image shown on its Load Image", async ({
  page,
}) => {
  const png = encodePng(
    { width: 8, height: 8, channels: 3, data: new Uint8Array(192).fill(120) },
    {
      workflow: readFileSync("tests/fixtures/comfy/img2img.workflow.json", "utf8"),
      prompt: readFileSync("tests/fixtures/comfy/img2img.prompt.json", "utf8"),
    },
  );
  await page.goto("/");
  await expect(page.getByTestId("canvas")).toBeVisible();
  const dt = await page.evaluateHandle((bytes) => {
    const d = new DataTransfer();
    d.items.add(new File([new Uint8Array(bytes)], "ComfyUI_00001_.png", { type: "image/png" }));
    return d;
  }, Array.from(png));
  const box = (await page.getByTestId("canvas").boundingBox())!;
  const at = { clientX: box.x + box.width / 2, clientY: box.y + box.height / 2 };
  await page.dispatchEvent('[data-testid="canvas"]', "dragover", { dataTransfer: dt, ...at });
  await page.dispatchEvent('[data-testid="canvas"]', "drop", { dataTransfer: dt, ...at });
  // A graph, not a Load Image node holding the picture.
  await expect(page).toHaveURL(/\/graphs\//, { timeout: 60_000 });
  const report = page.getByTestId("import-report");
  await expect(report.getByRole("heading")).toContainText("ComfyUI workflow: 1 thing to check");
  await clickAsPerson(page, report.getByRole("button", { name: "node 10 (LoadImage) · image" }));
  const loadImage = page.locator('[data-testid="node"][data-node-id="c10"]');
  await expect(loadImage.getByTestId("widget-image")).toContainText(
    `ComfyUI image: image "example.png" lives in ComfyUI's input folder; upload it on this node`,
  );
  await screenshot(page, "comfy-png-dropped");
});
