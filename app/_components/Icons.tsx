/** Inline SVG icons (emoji fonts are often missing on servers and minimal desktops). */

export function LogoIcon({ size = 16 }: { size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 32 32" aria-hidden="true" style={{ verticalAlign: "-3px" }}>
      <g fill="#e86aa6">
        <circle cx="16" cy="8" r="6" />
        <circle cx="24" cy="16" r="6" />
        <circle cx="16" cy="24" r="6" />
        <circle cx="8" cy="16" r="6" />
      </g>
      <circle cx="16" cy="16" r="4" fill="#f7c948" />
    </svg>
  );
}

export function DiceIcon({ size = 14 }: { size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 16 16" aria-hidden="true">
      <rect
        x="1.5"
        y="1.5"
        width="13"
        height="13"
        rx="3"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.5"
      />
      <circle cx="5" cy="5" r="1.3" fill="currentColor" />
      <circle cx="11" cy="11" r="1.3" fill="currentColor" />
      <circle cx="8" cy="8" r="1.3" fill="currentColor" />
      <circle cx="11" cy="5" r="1.3" fill="currentColor" />
      <circle cx="5" cy="11" r="1.3" fill="currentColor" />
    </svg>
  );
}
