export { StowModule, StowFeature } from './stow.module';
