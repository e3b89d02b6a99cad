export * from '../config/settings.ts';
