import { SavedGraphEditor } from "@/app/_components/editor/SavedGraphEditor";

export default async function GraphPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <SavedGraphEditor id={id} />;
}
