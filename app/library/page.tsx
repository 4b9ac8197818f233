import { LibraryView } from "../_components/library/LibraryView";

export const metadata = { title: "Library · Petalflow" };

export default function LibraryPage() {
  return <LibraryView />;
}
