"use client";
/** The status line: the latest message (refused links, saves, errors), announced to screen readers. */
export interface StatusMessage {
  id: number;
  text: string;
  kind: "info" | "error";
  /** The nodes the message is about: once all of them are deleted, the message goes. */
  about?: string[];
}

/** True while a message is still about something on the canvas. */
export function messageStillApplies(message: StatusMessage, nodeIds: ReadonlySet<string>): boolean {
  return !message.about?.length || message.about.some((id) => nodeIds.has(id));
}

export function StatusLine({
  message,
  onDismiss,
  children,
}: {
  message: StatusMessage | null;
  onDismiss(): void;
  /** Shown at the right end (the run's progress). */
  children?: React.ReactNode;
}) {
  return (
    <div className="pf-status">
      <div role="status" aria-live="polite" data-testid="status-line" className="pf-status__message">
        {message && (
          <span className={`pf-status__text pf-status__text--${message.kind}`} data-kind={message.kind}>
            {message.text}
            <button type="button" className="pf-link-button" aria-label="Dismiss message" onClick={onDismiss}>
              ×
            </button>
          </span>
        )}
      </div>
      {children}
    </div>
  );
}
