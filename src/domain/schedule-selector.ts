/**
 * Which machines a schedule acts on: `{machine_ids}` or `{tags: {include, exclude}, backend_id?}`,
 * among those its owner owns (an administrator's: all) and that are not destroyed. One rule for
 * a run (at its fire) and for a forecast (for the fires ahead).
 */
export type ScheduleSelector = { machine_ids: number[] } | { tags: { include?: string[], exclude?: string[] }, backend_id?: string }

export interface SelectableMachine { id: number, backendId: string, ownerId: string | null, tags: readonly string[], state: string }

export function selects (selector: ScheduleSelector, owner: { id: string, isAdmin: boolean }, machine: SelectableMachine): boolean {
  if (machine.state === 'terminated' || (!owner.isAdmin && machine.ownerId !== owner.id)) return false
  if ('machine_ids' in selector) return selector.machine_ids.includes(machine.id)
  if (selector.backend_id !== undefined && machine.backendId !== selector.backend_id) return false
  return (selector.tags.include ?? []).every((tag) => machine.tags.includes(tag)) &&
    !(selector.tags.exclude ?? []).some((tag) => machine.tags.includes(tag))
}
