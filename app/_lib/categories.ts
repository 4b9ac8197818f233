/** Header colours per node category (readable with white text on both themes). */
const CATEGORY_COLORS: Record<string, string> = {
  loaders: "#6d5bd0",
  conditioning: "#c77d12",
  sampling: "#1f8a70",
  latent: "#b23a6f",
  image: "#2f6fbf",
  primitives: "#5f6b7a",
};

export function categoryColor(category: string): string {
  return CATEGORY_COLORS[category] ?? "#5f6b7a";
}

export const CATEGORY_LABELS: Record<string, string> = {
  loaders: "Loaders",
  conditioning: "Conditioning",
  sampling: "Sampling",
  latent: "Latent",
  image: "Image",
  primitives: "Primitives",
};
