"""Planning: appraisal of options side by side, scenario files, and the planner's saved work."""
