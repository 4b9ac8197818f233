/** Types of prebuilt-bundle.mjs (the launchers are plain JavaScript, run by node without tsx). */
export declare const root: string;
export interface PrebuiltBundle {
  /** The bundle (node_modules/.cache/<name>/<entry>.mjs). */
  file: string;
  manifest: string;
  outDir: string;
  /** True when the bundle exists and every file it was built from is unchanged. */
  fresh(): Promise<boolean>;
  build(): Promise<void>;
}
export declare function prebuiltBundle(opts: {
  name: string;
  entry: string;
  extraInputs?: string[];
  /** Lazily imported modules as chunks of their own. */
  split?: boolean;
  /** More esbuild options (e.g. plugins). */
  esbuild?: Record<string, unknown>;
}): PrebuiltBundle;
