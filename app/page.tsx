import { ScratchEditor } from "./_components/editor/ScratchEditor";

export default function HomePage() {
  return <ScratchEditor />;
}
