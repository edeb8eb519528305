// Light, dark or follow the system. Only this preference is kept in localStorage.

export type ThemeChoice = 'light' | 'dark' | 'system';
const KEY = 'confide.theme';

function stored(): ThemeChoice {
  try {
    const value = localStorage.getItem(KEY);
    return value === 'light' || value === 'dark' ? value : 'system';
  } catch {
    return 'system';
  }
}

class Theme {
  choice: ThemeChoice = $state(stored());
  private media = window.matchMedia('(prefers-color-scheme: dark)');
  private systemDark = $state(this.media.matches);
  resolved: 'light' | 'dark' = $derived(
    this.choice === 'system' ? (this.systemDark ? 'dark' : 'light') : this.choice,
  );

  constructor() {
    this.media.addEventListener('change', (event) => {
      this.systemDark = event.matches;
      this.apply();
    });
    this.apply();
  }

  set(choice: ThemeChoice): void {
    this.choice = choice;
    try {
      if (choice === 'system') localStorage.removeItem(KEY);
      else localStorage.setItem(KEY, choice);
    } catch {
      // Private mode: the choice lasts for this page only.
    }
    this.apply();
  }

  private apply(): void {
    document.documentElement.dataset.theme = this.resolved;
  }
}

export const theme = new Theme();
