import { describe, expect, it } from "vitest";
import { Queue } from "./queue.js";

describe("Queue", () => {
  it("is FIFO across compactions, with unshift, remove and drain", () => {
    const q = new Queue<number>();
    for (let i = 0; i < 5000; i++) q.push(i);
    for (let i = 0; i < 3000; i++) expect(q.shift()).toBe(i);
    q.unshift(-2, -1);
    expect(q.length).toBe(2002);
    expect(q.peek()).toBe(-2);
    expect(q.remove(4000)).toBe(true);
    expect(q.remove(4000)).toBe(false);
    const rest = q.drain();
    expect(rest.slice(0, 3)).toEqual([-2, -1, 3000]);
    expect(rest).toHaveLength(2001);
    expect(rest).not.toContain(4000);
    expect(q.length).toBe(0);
    expect(q.shift()).toBeUndefined();
    q.unshift(7, 8);
    expect([q.shift(), q.shift(), q.shift()]).toEqual([7, 8, undefined]);
  });
});
