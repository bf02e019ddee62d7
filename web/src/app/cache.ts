/**
 * What the studio remembers in localStorage so that it opens offline: the signed-in user
 * and the projects they opened (name and role). The songs themselves live in IndexedDB.
 */
import type { Project, User } from '../api/client.ts'

const USER_KEY = 'bandmate:user'
const PROJECT_KEY = (id: string): string => `bandmate:project:${id}`

function read<T>(key: string): T | null {
  try {
    const text = localStorage.getItem(key)
    return text === null ? null : (JSON.parse(text) as T)
  } catch {
    return null
  }
}

function write(key: string, value: unknown): void {
  try {
    if (value === null) localStorage.removeItem(key)
    else localStorage.setItem(key, JSON.stringify(value))
  } catch {
    // storage full or disabled: the studio still works online
  }
}

export const cache = {
  user: (): User | null => read<User>(USER_KEY),
  setUser: (user: User | null): void => write(USER_KEY, user),
  project: (id: string): Project | null => read<Project>(PROJECT_KEY(id)),
  setProject: (project: Project): void => write(PROJECT_KEY(project.id), project),
  forgetProject: (id: string): void => write(PROJECT_KEY(id), null),
}
