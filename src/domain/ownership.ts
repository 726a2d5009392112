/**
 * Who may see what: a user sees what they own, an administrator everything. Another user's
 * resource is "not found" (never 403, which would confirm it exists). A leaf module: the services
 * and routes that find things (src/services/lookup.ts, machine reads, keys) share the one rule.
 */
export const ownedBy = (user: { id: string, isAdmin: boolean }): { ownerId?: string } => user.isAdmin ? {} : { ownerId: user.id }
