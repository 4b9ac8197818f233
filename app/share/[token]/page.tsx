import { SharedGraphView } from "@/app/_components/share/SharedGraphView";

export default async function SharePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  return <SharedGraphView token={token} />;
}
