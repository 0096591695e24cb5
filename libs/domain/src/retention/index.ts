export * from './compactable-events';
