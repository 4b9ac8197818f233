"use client";
/**
 * A seed (0 … 2^64−1, kept as a decimal string past 2^53) with a dice button for a fresh random one.
 * The Noise node's "control after run" widget decides what happens to it once a run is taken.
 */
import { useEffect, useRef, useState } from "react";
import { randomSeed } from "@/core/graph/overrides";
import { parseSeed, seedToJson } from "@/core/node/define";
import { DiceIcon } from "../../Icons";

interface Props {
  id: string;
  label: string;
  value: unknown;
  disabled?: boolean;
  onChange(value: number | string): void;
}

export function SeedWidget({ id, label, value, disabled, onChange }: Props) {
  const [text, setText] = useState(String(value ?? ""));
  const [bad, setBad] = useState(false);
  const focused = useRef(false);
  useEffect(() => {
    if (!focused.current) {
      setText(String(value ?? ""));
      setBad(false);
    }
  }, [value]);

  const commit = (raw: string) => {
    const seed = parseSeed(raw.trim());
    if (seed === null) {
      setBad(true);
      return;
    }
    setBad(false);
    const v = seedToJson(seed);
    if (v !== value) onChange(v);
  };

  return (
    <>
      <label htmlFor={id} className="pf-widget__label">
        {label}
      </label>
      <span className="pf-seed">
        <input
          id={id}
          className="pf-input nodrag"
          inputMode="numeric"
          value={text}
          disabled={disabled}
          aria-invalid={bad || undefined}
          onFocus={() => {
            focused.current = true;
          }}
          onChange={(e) => {
            setText(e.target.value);
            if (parseSeed(e.target.value.trim()) !== null) commit(e.target.value);
          }}
          onBlur={(e) => {
            focused.current = false;
            commit(e.target.value);
          }}
        />
        <button
          type="button"
          className="pf-icon-button nodrag"
          aria-label="Random seed"
          title="Random seed"
          disabled={disabled}
          onClick={() => onChange(seedToJson(randomSeed()))}
        >
          <DiceIcon />
        </button>
      </span>
    </>
  );
}
